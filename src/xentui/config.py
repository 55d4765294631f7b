"""The pool configuration file: which pools exist, how to reach their hosts,
and every wait/timeout xentui uses.

The file is TOML, read with :mod:`tomllib` and validated with pydantic
(unknown keys are errors everywhere)::

    [settings]                      # optional, every key optional
    connect_timeout = 5.0           # seconds
    command_timeout = 10.0
    reach_timeout = 2.0             # the host's own TCP check of its master's :443
    poll_interval = 5.0
    keepalive_interval = 15.0
    reconnect_backoff_min = 1.0
    reconnect_backoff_max = 30.0
    toolstack_fuse = 10.0           # how long xapi waits before restarting after a transition
    password_command_timeout = 30.0 # bound of a pool's password_command
    max_concurrency = 64            # cap of concurrent connection attempts
    audit_file = "~/audit.jsonl"    # default: platformdirs user data dir / audit.jsonl

    [[pool]]
    name = "prod"
    hosts = ["plot1", "plot2", "10.0.0.3", "[fd00::1]:2222"]
    user = "root"                   # optional
    port = 22                       # optional
    identity = "~/.ssh/id_ed25519"  # optional
    known_hosts = "~/.ssh/known_hosts"   # optional
    ssh_config = "~/.ssh/config"    # optional
    password_env = "XENTUI_PROD_PASSWORD"  # optional; passwords never live in the file
    password_command = "pass show xen/prod"  # optional: first line of its stdout (else: asked once)

Every problem is reported as a :class:`ConfigError` whose ``str`` is one line
naming the file, the line and the field, e.g.
``pools.toml:7: pool[0].hosts[2]: duplicate host 'plot1'``.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "Config",
    "ConfigError",
    "HostEntry",
    "PoolConfig",
    "Settings",
    "UnknownPoolError",
    "default_config_path",
    "dump_config",
    "find_config",
    "load_config",
    "write_config",
    "write_text_atomically",
]

APP_NAME = "xentui"
CONFIG_ENV = "XENTUI_CONFIG"
CONFIG_FILENAME = "pools.toml"

_PASSWORD_HINT = (
    "passwords never live in the config file; remove this key and set "
    "password_env = \"SOME_VAR\" to name an environment variable holding the password, or "
    "password_command = \"pass show xen/prod\" to ask a password manager (else xentui asks once)"
)


# --------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """A configuration problem; ``str(err)`` is one line: ``file:line: field: message``.

    The parts are also available as attributes (each may be ``None``):
    ``path``, ``line``, ``field``, ``message``; ``more`` counts further errors
    that were found but not shown.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
        more: int = 0,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.more = more
        super().__init__(self._render())

    def _render(self) -> str:
        head = ""
        if self.path is not None:
            head = self.path
            if self.line is not None:
                head += f":{self.line}"
            head += ": "
        if self.field:
            head += f"{self.field}: "
        tail = ""
        if self.more:
            tail = f" (and {self.more} more error{'s' if self.more > 1 else ''})"
        return f"{head}{self.message}{tail}"

    def __str__(self) -> str:
        return self._render()


class UnknownPoolError(ConfigError, KeyError):
    """``Config.pool(name)`` found no such pool (also a :class:`KeyError`)."""


# --------------------------------------------------------------------------- helpers


def _custom(kind: str, message: str, *, loc: Sequence[str | int] = ()) -> PydanticCustomError:
    """A pydantic error whose location is refined by *loc* (relative to the model).

    Model-level validators cannot point pydantic at a sub-field, so the sub-path
    travels in the error context and :func:`_format_loc` appends it.
    """
    # Braces in the message would be taken as template fields by pydantic.
    safe = message.replace("{", "(").replace("}", ")")
    return PydanticCustomError(kind, safe, {"loc_suffix": tuple(loc)})


_PASSWORD_SOURCES = ("password_env", "password_command", "password_command_timeout")  # where from, not what
_PASSWORDISH = re.compile(r"passw(or)?d|(?:^|[_-])(?:pass|pwd|secret)$", re.IGNORECASE)


def _is_password_key(key: object) -> bool:
    """``password``, ``master_password``, ``passwd``, ``pwd``, ``secret``... but not ``password_env``."""
    return isinstance(key, str) and key not in _PASSWORD_SOURCES and bool(_PASSWORDISH.search(key))


def _reject_password_keys(data: Any) -> Any:
    if isinstance(data, Mapping):
        for key in data:
            if _is_password_key(key):
                raise _custom("password_in_file", _PASSWORD_HINT, loc=(key,))
    return data


def _check_text(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"{what} must not be empty")
    if value != value.strip():
        raise ValueError(f"{what} must not start or end with whitespace")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


def _check_path_text(value: str, what: str) -> str:
    # Paths may legitimately have surrounding spaces; only emptiness and control
    # characters are refused.
    if not value:
        raise ValueError(f"{what} must not be empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,  # a mistyped secret must never be echoed
        populate_by_name=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_passwords(cls, data: Any) -> Any:
        return _reject_password_keys(data)


PositiveSeconds = Annotated[StrictFloat, Field(gt=0, allow_inf_nan=False)]


class Settings(_Model):
    """Timeouts, intervals and limits (all in seconds unless noted)."""

    connect_timeout: PositiveSeconds = 5.0
    command_timeout: PositiveSeconds = 10.0
    reach_timeout: PositiveSeconds = 2.0
    poll_interval: PositiveSeconds = 5.0
    keepalive_interval: PositiveSeconds = 15.0
    reconnect_backoff_min: PositiveSeconds = 1.0
    reconnect_backoff_max: PositiveSeconds = 30.0
    toolstack_fuse: PositiveSeconds = 10.0
    # `watch` with nothing to print checks this often that its stdout still has a reader
    # (`watch | head -1` must not go on probing the pool for a reader that left)
    reader_check_interval: PositiveSeconds = 1.0
    max_concurrency: Annotated[StrictInt, Field(gt=0)] = 64
    password_command_timeout: PositiveSeconds = 30.0  # a password manager may ask to be unlocked
    audit_file: Path | None = None
    # Where this jump box keeps the vendor's update files: onboarding proposes
    # <update_dir>/<name-label>.iso for each update the new host lacks (it is still checked).
    update_dir: Path | None = None
    # The pool's lease (actions/lease): how long it holds unless renewed (a client that dies
    # leaves it stale after this); renewed every third of it while a plan runs.
    lease_ttl: PositiveSeconds = 120.0
    # Watch only: every change key of the console and `xentui apply` refuse (also --read-only).
    read_only: StrictBool = False

    @field_validator("audit_file", "update_dir", mode="before")
    @classmethod
    def _audit_file_is_text(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            _check_path_text(value, info.field_name)
        elif value is not None and not isinstance(value, os.PathLike):
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return value

    @model_validator(mode="after")
    def _backoff_order(self) -> Settings:
        if self.reconnect_backoff_min > self.reconnect_backoff_max:
            raise _custom(
                "backoff_order",
                f"must be >= reconnect_backoff_min ({self.reconnect_backoff_min:g})",
                loc=("reconnect_backoff_max",),
            )
        return self

    @property
    def audit_path(self) -> Path:
        """Where the audit trail goes: ``audit_file`` (``~`` expanded) or the default."""
        if self.audit_file is None:
            from xentui.audit import default_audit_path  # the audit module: only where it is written

            return default_audit_path()
        return Path(self.audit_file).expanduser()


_BRACKETED = re.compile(r"\[([^\[\]]*)\](?::([^:]*))?")


class HostEntry(_Model):
    """One entry of a pool's ``hosts``: an ``~/.ssh/config`` alias or an address,
    optionally with a port.

    ``name`` is the entry exactly as written; ``host`` is the alias/address
    without port (IPv6 brackets removed); ``port`` is the explicit port or
    ``None``.  Accepted forms: ``plot1``, ``plot1:2222``, ``10.0.0.3``,
    ``10.0.0.3:2222``, ``fd00::1``, ``[fd00::1]``, ``[fd00::1]:2222``.

    Or a name for an address: ``{ name = "plot9", address = "10.77.0.9" }`` (what
    onboarding writes for a joined host: the console names it by its hostname and
    connects to the address it was joined by); ``address`` takes the forms above.
    """

    name: StrictStr
    host: StrictStr
    port: int | None = None
    address: StrictStr | None = None  # the address as written, when `name` is a label for it

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            host, port = _split_host(data)
            return {"name": data, "host": host, "port": port}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> HostEntry:
        if self.address is not None:
            _check_text(self.name, "host name")
            if not self.name or any(c.isspace() or c in ":[]@" for c in self.name):
                raise ValueError(f"host name {self.name!r} must be a plain name (no spaces, ':', '[', ']' or '@')")
        host, port = _split_host(self.address if self.address is not None else self.name)
        if (host, port) != (self.host, self.port):
            raise ValueError(f"host entry {self.name!r} does not parse to host={self.host!r} port={self.port!r}")
        return self

    @classmethod
    def parse(cls, text: str) -> HostEntry:
        """Parse ``"host"``, ``"host:port"`` or ``"[v6]:port"`` (raises ``ValidationError``)."""
        return cls.model_validate(text)

    @property
    def key(self) -> tuple[str, int | None]:
        """Normalised identity: case-folded host (canonical form for IP addresses), port."""
        return (_canonical_host(self.host), self.port)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def labelled(cls, name: str, address: str) -> HostEntry:
        """`name` for the host at `address` (``{ name = ..., address = ... }`` in the file)."""
        host, port = _split_host(address)
        return cls(name=name, host=host, port=port, address=address)

    def toml(self) -> str:
        """The entry as it is written in ``hosts``."""
        if self.address is None:
            return _toml_string(self.name)
        return f"{{ name = {_toml_string(self.name)}, address = {_toml_string(self.address)} }}"


def host_entry(value: Any) -> HostEntry:
    """A ``hosts`` item as TOML gives it (a string, or a table with ``name`` and ``address``)."""
    if isinstance(value, HostEntry):
        return value
    if isinstance(value, Mapping) and set(value) == {"name", "address"} and all(
            isinstance(v, str) for v in value.values()):
        return HostEntry.labelled(value["name"], value["address"])
    return HostEntry.model_validate(value)


def _split_host(text: str) -> tuple[str, int | None]:
    """Split a host entry into (host, port); raises ValueError with a clear message."""
    _check_text(text, "host entry")
    if any(c.isspace() for c in text):
        raise ValueError(f"host entry {text!r} must not contain whitespace")
    if "@" in text:
        raise ValueError(f"host entry {text!r} must not contain a user; set user = \"...\" on the pool")
    port_text: str | None = None
    if text.startswith("["):
        m = _BRACKETED.fullmatch(text)
        if not m:
            raise ValueError(f"malformed host entry {text!r}; write IPv6 addresses as '[addr]' or '[addr]:port'")
        host, port_text = m.group(1), m.group(2)
        if not host:
            raise ValueError(f"host entry {text!r} has an empty address")
        if ":" in host:
            _ipv6(host, text)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        if not host:
            raise ValueError(f"host entry {text!r} has an empty host")
    elif ":" in text:
        host = text
        _ipv6(host, text)
    else:
        host = text
    if "[" in host or "]" in host or "/" in host or "," in host:
        raise ValueError(f"host entry {text!r} contains an invalid character")
    if host.startswith("-"):
        raise ValueError(f"host entry {text!r} must not start with '-'")
    port: int | None = None
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"host entry {text!r} has an invalid port {port_text!r} (expected 1-65535)")
        port = int(port_text)
    return host, port


def _ipv6(host: str, text: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueError(
            f"host entry {text!r} is not a valid IPv6 address; write 'host:port' or '[IPv6]:port'"
        ) from None


def _canonical_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.casefold()


def _host_item(value: Any) -> Any:
    # Strings, already-built entries, or { name, address } tables: any other inline
    # table would otherwise be accepted as {name, host, port}.
    if isinstance(value, (str, HostEntry)):
        return value
    if isinstance(value, Mapping) and set(value) == {"name", "address"}:
        try:
            return host_entry(value)
        except ValueError as e:
            raise PydanticCustomError("host_type", "{error}", {"error": str(e)}) from None
    raise PydanticCustomError(
        "host_type", "host entries must be strings like 'plot1', 'host:port' or '[IPv6]:port', "
        "or { name = \"plot9\", address = \"10.0.0.9\" }"
    )


HostItem = Annotated[HostEntry, BeforeValidator(_host_item)]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PoolConfig(_Model):
    """One ``[[pool]]``: its name, its hosts and how to SSH to them."""

    name: StrictStr
    hosts: Annotated[tuple[HostItem, ...], Field(min_length=1)]
    user: StrictStr | None = None
    port: Annotated[StrictInt, Field(ge=1, le=65535)] | None = None
    identity: StrictStr | None = None
    known_hosts: StrictStr | None = None
    ssh_config: StrictStr | None = None
    password_env: StrictStr | None = None
    password_command: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        return _check_text(value, "pool name")

    @field_validator("user")
    @classmethod
    def _user_ok(cls, value: str | None) -> str | None:
        if value is not None:
            _check_text(value, "user")
            if any(c.isspace() or c == "@" for c in value):
                raise ValueError("user must not contain whitespace or '@'")
        return value

    @field_validator("identity", "known_hosts", "ssh_config")
    @classmethod
    def _path_ok(cls, value: str | None) -> str | None:
        if value is not None:
            _check_path_text(value, "path")
        return value

    def expanded(self, field: str) -> Path | None:
        """A path option (identity, known_hosts, ssh_config) with ``~`` expanded."""
        value = getattr(self, field)
        return None if value is None else Path(value).expanduser()

    @field_validator("password_env")
    @classmethod
    def _env_name_ok(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            # The value is deliberately not echoed: it may be the password itself.
            raise ValueError(
                "not an environment variable name (letters, digits, '_'); password_env names "
                "the variable holding the password, it is never the password itself"
            )
        return value

    @model_validator(mode="after")
    def _no_duplicate_hosts(self) -> PoolConfig:
        seen: dict[tuple[str, int | None], HostEntry] = {}
        for i, entry in enumerate(self.hosts):
            # "plot1" and "plot1:22" are the same host when the pool's port is 22.
            host, port = entry.key
            key = (host, port if port is not None else self.port)
            if key in seen:
                first = seen[key]
                same = "" if first.name == entry.name else f" (same as {first.name!r})"
                raise _custom("duplicate_host", f"duplicate host {entry.name!r}{same}", loc=("hosts", i))
            if any(e.name == entry.name for e in seen.values()):
                raise _custom("duplicate_host", f"two hosts named {entry.name!r}", loc=("hosts", i))
            seen[key] = entry
        return self

    @property
    def host_names(self) -> list[str]:
        """The host entries as written."""
        return [h.name for h in self.hosts]

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The password from ``$password_env`` (``None`` if unset or not configured)."""
        if self.password_env is None:
            return None
        env = os.environ if environ is None else environ
        return env.get(self.password_env) or None


class Config(_Model):
    """The whole file: settings plus pools (TOML key ``pool``)."""

    settings: Settings = Field(default_factory=Settings)
    pools: tuple[PoolConfig, ...] = Field(default=(), alias="pool")

    @model_validator(mode="after")
    def _no_duplicate_pools(self) -> Config:
        seen: dict[str, str] = {}
        for i, pool in enumerate(self.pools):
            key = pool.name.casefold()
            if key in seen:
                same = "" if seen[key] == pool.name else f" (same as {seen[key]!r})"
                raise _custom("duplicate_pool", f"duplicate pool name {pool.name!r}{same}", loc=("pool", i, "name"))
            seen[key] = pool.name
        return self

    @property
    def pool_names(self) -> list[str]:
        return [p.name for p in self.pools]

    def pool(self, name: str | None = None) -> PoolConfig:
        """The pool called *name* (exact match, else case-insensitive).

        With ``name=None`` the only pool is returned when there is exactly one.
        Raises :class:`UnknownPoolError` (a ``ConfigError`` and ``KeyError``).
        """
        known = ", ".join(repr(n) for n in self.pool_names) or "none"
        if name is None:
            if len(self.pools) == 1:
                return self.pools[0]
            raise UnknownPoolError(f"several pools configured, choose one of: {known}" if self.pools
                                   else "no pools configured; run `xentui discover HOST` to add one")
        for pool in self.pools:
            if pool.name == name:
                return pool
        for pool in self.pools:
            if pool.name.casefold() == name.casefold():
                return pool
        raise UnknownPoolError(f"no pool named {name!r} (configured: {known})")

    def upsert_pool(self, name: str, hosts: Iterable[str | HostEntry], **opts: Any) -> Config:
        """A new Config with pool *name* replaced (in place) or appended.

        When replacing, options not passed in *opts* (user, port, identity,
        known_hosts, ssh_config, password_env) are kept from the existing pool;
        pass ``opt=None`` to clear one.  Raises :class:`ConfigError` if the
        result is invalid (e.g. duplicate hosts).
        """
        existing = None
        for i, pool in enumerate(self.pools):
            if pool.name == name or pool.name.casefold() == name.casefold():
                existing = i
                break
        base: dict[str, Any] = {}
        if existing is not None:
            base = self.pools[existing].model_dump(exclude={"name", "hosts"})
        base.update(opts)
        data = {"name": name, "hosts": list(hosts), **base}
        try:
            new_pool = PoolConfig.model_validate(data)
        except ValidationError as exc:
            raise _from_validation(exc, prefix=f"pool[{name!r}]") from None
        pools = list(self.pools)
        if existing is None:
            pools.append(new_pool)
        else:
            pools[existing] = new_pool
        return self.model_copy(update={"pools": tuple(pools)})


# --------------------------------------------------------------------------- errors → one line


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _full_loc(err: Mapping[str, Any]) -> tuple[str | int, ...]:
    loc = tuple(err.get("loc", ()))
    ctx = err.get("ctx") or {}
    return loc + tuple(ctx.get("loc_suffix", ()))


_MODEL_FOR_LOC: dict[tuple[str, ...], type[BaseModel]] = {
    (): Config,
    ("settings",): Settings,
    ("pool",): PoolConfig,
}


def _known_keys(parent: tuple[str | int, ...]) -> list[str]:
    shape = tuple(p for p in parent if isinstance(p, str))
    model = _MODEL_FOR_LOC.get(shape)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _message(err: Mapping[str, Any], loc: tuple[str | int, ...]) -> str:
    kind = err.get("type")
    msg = str(err.get("msg", "invalid value"))
    if kind == "extra_forbidden" and loc:
        key = loc[-1]
        known = _known_keys(loc[:-1])
        hint = ""
        close = difflib.get_close_matches(str(key), known, n=1)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
        elif known:
            hint = f" (known keys: {', '.join(known)})"
        return f"unknown key {key!r}{hint}"
    if kind == "missing" and loc:
        return f"missing required key {loc[-1]!r}"
    if kind in ("tuple_type", "list_type"):
        return "Input should be an array"
    if kind == "value_error" and msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return msg


def _from_validation(
    exc: ValidationError,
    *,
    path: str | os.PathLike[str] | None = None,
    text: str | None = None,
    prefix: str = "",
) -> ConfigError:
    items = []
    for order, err in enumerate(exc.errors()):
        loc = _full_loc(err)
        line = _locate(text, loc) if text is not None else None
        # A missing key comes last: `host = [...]` also makes `hosts` missing, and the
        # misspelt key on its own line is the cause to name, not the table's header.
        missing = 1 if err.get("type") == "missing" else 0
        items.append((missing, line if line is not None else 1 << 30, order, loc, _message(err, loc), line))
    items.sort()
    _, _, _, loc, message, line = items[0]
    field = _format_loc(loc)
    if prefix:
        field = prefix + ("." if field and not field.startswith("[") else "") + field
    return ConfigError(message, path=path, line=line, field=field, more=len(items) - 1)


# --------------------------------------------------------------------------- source line lookup
# Best effort: find the line a pydantic location refers to by scanning the TOML text.

_HEADER = re.compile(r"\s*(\[\[?)\s*(.*?)\s*(\]\]?)\s*(?:#.*)?$")
_KEY_PART = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _split_dotted(text: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if not m:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1
        while pos < len(text) and text[pos] in " \t":
            pos += 1


def _key_at(line: str) -> tuple[str, ...] | None:
    """The (dotted) key of a ``key = value`` line, if it is one."""
    stripped = line.lstrip()
    if not stripped or stripped[0] in "#[":
        return None
    # Find the '=' outside quotes.
    quote = ""
    for i, ch in enumerate(stripped):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return _split_dotted(stripped[:i].rstrip())
    return None


def _locate(text: str, loc: Sequence[str | int]) -> int | None:
    lines = text.splitlines()
    # Segments: (path, header line number, [(line number, line text)]).
    segments: list[tuple[tuple[str | int, ...], int, list[tuple[int, str]]]] = [((), 1, [])]
    array_counts: dict[tuple[str, ...], int] = {}
    in_multiline = ""
    for number, line in enumerate(lines, start=1):
        if in_multiline:
            segments[-1][2].append((number, line))
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        m = _HEADER.match(line) if line.lstrip().startswith("[") else None
        keys = _split_dotted(m.group(2)) if m else None
        if m and keys and (m.group(1) == "[[") == (m.group(3) == "]]"):
            is_array = m.group(1) == "[["
            path: list[str | int] = []
            for i, key in enumerate(keys):
                path.append(key)
                prefix = keys[: i + 1]
                last = i == len(keys) - 1
                if last and is_array:
                    array_counts[prefix] = array_counts.get(prefix, 0) + 1
                if prefix in array_counts and (is_array or not last):
                    path.append(array_counts[prefix] - 1)
            segments.append((tuple(path), number, []))
            continue
        segments[-1][2].append((number, line))
        for marker in ('"""', "'''"):
            if line.count(marker) % 2 == 1:
                in_multiline = marker
                break

    loc = tuple(loc)
    best = None
    for seg in segments:
        path = seg[0]
        if loc[: len(path)] == path and (best is None or len(path) > len(best[0])):
            best = seg
    if best is None:
        return None
    path, header_line, body = best
    rest = loc[len(path):]
    if not rest or not isinstance(rest[0], str):
        return header_line
    for number, line in body:
        key = _key_at(line)
        if key is None or key[0] != rest[0]:
            continue
        # Dotted keys (a.b = 1): prefer the line whose key matches further.
        if len(key) > 1 and len(rest) > 1 and key[1] != rest[1]:
            continue
        if len(rest) > 1 and isinstance(rest[1], int) and len(key) == 1:
            element = _array_element_line(lines, number, rest[1])
            if element is not None:
                return element
        return number
    return header_line


def _array_element_line(lines: list[str], start: int, index: int) -> int | None:
    """Line of the *index*-th element of the array value on line *start* (1-based)."""
    first = lines[start - 1]
    col = first.find("=")
    depth = 0
    count = -1
    expecting = False
    number = start
    text = first[col + 1:]
    while True:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch in " \t\r":
                i += 1
                continue
            if ch == "#":
                break
            if depth == 1 and expecting and ch not in ",]":
                count += 1
                expecting = False
                if count == index:
                    return number
            if ch in "\"'":
                triple = text[i:i + 3] == ch * 3
                quote = ch * 3 if triple else ch
                i += len(quote)
                # Find the closing quote, possibly on a later line.
                while True:
                    end = _find_close(text, i, quote)
                    if end is not None:
                        i = end + len(quote)
                        break
                    number += 1
                    if number > len(lines):
                        return None
                    text, i = lines[number - 1], 0
                continue
            if ch in "[{":
                depth += 1
                if depth == 1:
                    expecting = True
            elif ch in "]}":
                depth -= 1
                if depth <= 0:
                    return None
            elif ch == "," and depth == 1:
                expecting = True
            i += 1
        if depth == 0:
            return None
        number += 1
        if number > len(lines):
            return None
        text = lines[number - 1]


def _find_close(text: str, start: int, quote: str) -> int | None:
    i = start
    while i < len(text):
        if quote[0] == '"' and text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i
        i += 1
    return None


# --------------------------------------------------------------------------- loading

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a pool configuration file.

    Raises :class:`ConfigError` (one line: ``file:line: field: message``) for a
    missing/unreadable file, invalid UTF-8 or TOML, or invalid contents.
    """
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file not found", path=shown) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a config file", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", path=shown) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError("file is not valid UTF-8", path=shown, line=line) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, shown, text) from None
    if "pools" in raw:
        line = _locate(text, ("pools",))
        raise ConfigError("unknown key 'pools' (pools are declared as [[pool]] tables)",
                          path=shown, line=line, field="pools")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation(exc, path=shown, text=text) from None


def _toml_error(exc: tomllib.TOMLDecodeError, shown: str, text: str) -> ConfigError:
    msg = str(exc)
    line: int | None = getattr(exc, "lineno", None)
    col: int | None = getattr(exc, "colno", None)
    m = _TOML_POS.search(msg)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[: m.start()]
    elif _TOML_END.search(msg):
        msg = msg[: _TOML_END.search(msg).start()] + " at end of file"  # type: ignore[union-attr]
        line = max(1, len(text.splitlines()))
        col = None
    where = f" (column {col})" if col else ""
    return ConfigError(f"invalid TOML: {msg}{where}", path=shown, line=line)


# --------------------------------------------------------------------------- finding


def default_config_path() -> Path:
    """``platformdirs.user_config_dir("xentui") / "pools.toml"``."""
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILENAME


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: *explicit* (``--config``), else ``$XENTUI_CONFIG``,
    else :func:`default_config_path`.  Raises :class:`ConfigError` when the
    chosen file does not exist.
    """
    if explicit is not None and str(explicit) != "":
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError("config file given with --config not found", path=str(explicit))
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file named by ${CONFIG_ENV} not found", path=env)
        return path
    path = default_config_path()
    if path.is_file():
        return path
    raise ConfigError(
        f"no pool configuration found at {path}; create one with `xentui discover HOST` "
        f"(or try `xentui demo` for a simulated pool), or pass --config PATH / set ${CONFIG_ENV}"
    )


# --------------------------------------------------------------------------- writing


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write non-finite number {value!r}")
        return repr(value)
    if isinstance(value, (str, os.PathLike)):
        return _toml_string(os.fspath(value))
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_raw_array(items: Sequence[str]) -> str:
    """An array of values already in TOML."""
    flat = "[" + ", ".join(items) + "]"
    if len(items) <= 4 and len(flat) <= 72:
        return flat
    return "[\n" + "".join(f"    {i},\n" for i in items) + "]"


def _toml_array(items: Sequence[str], indent: str = "") -> str:
    flat = "[" + ", ".join(_toml_string(i) for i in items) + "]"
    if len(items) <= 4 and len(flat) <= 72:
        return flat
    body = "".join(f"{indent}    {_toml_string(i)},\n" for i in items)
    return "[\n" + body + indent + "]"


def dump_config(config: Config) -> str:
    """Render *config* as TOML (stable order; ``load_config`` of it gives an equal Config).

    Settings equal to their defaults are written as comments so the file
    documents what can be tuned without freezing today's defaults.
    """
    lines = [
        "# xentui pool configuration.",
        "# Passwords never live here: password_env names an environment variable, password_command",
        "# asks a password manager (e.g. \"pass show xen/prod\"); without either xentui asks once.",
        "",
        "[settings]",
    ]
    defaults = Settings()
    for name in Settings.model_fields:
        value = getattr(config.settings, name)
        default = getattr(defaults, name)
        if value is None:
            from xentui.audit import default_audit_path

            example = default_audit_path() if name == "audit_file" else "~/updates"
            lines.append(f"# {name} = {_toml_string(str(example))}")
        elif value == default and type(value) is type(default):
            lines.append(f"# {name} = {_toml_value(value)}")
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    for pool in config.pools:
        lines += ["", "[[pool]]", f"name = {_toml_string(pool.name)}",
                  f"hosts = {_toml_raw_array([h.toml() for h in pool.hosts])}"]
        for name in PoolConfig.model_fields:
            if name in ("name", "hosts"):
                continue
            value = getattr(pool, name)
            if value is not None:
                lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def write_config(config: Config, path: str | os.PathLike[str]) -> Path:
    """Atomically write *config* to *path* (parents created; an existing file's
    mode is kept, a new file is 0600).  Comments in an existing file are not kept.
    """
    return write_text_atomically(dump_config(config), path)


def write_text_atomically(text: str, path: str | os.PathLike[str], check: bool = False) -> Path:
    """Replace *path* with *text* in one step (parents created; an existing file's
    mode is kept, a new file is 0600).  With *check*, the new text must load as a
    config first: a bad edit never replaces a good file.
    """
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if check:
            load_config(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target
