"""The config's shape: settings, pools and host entries, validated with pydantic (unknown keys are errors)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import (
    AfterValidator,
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

from xentui.core.config.messages import UnknownPoolError, from_validation

APP_NAME = "xentui"
CONFIG_ENV = "XENTUI_CONFIG"
CONFIG_FILENAME = "pools.toml"

_PASSWORD_HINT = (
    "passwords never live in the config file; remove this key and set "
    "password_env = \"SOME_VAR\" to name an environment variable holding the password, or "
    "password_command = \"pass show xen/prod\" to ask a password manager (else xentui asks once)"
)


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


def plain_text(what: str) -> AfterValidator:
    """A field's check that its text is plain (not empty, no outer blanks, no control characters)."""
    return AfterValidator(lambda value: _check_text(value, what))


def _check_word(value: str, what: str, also: str, why: str) -> str:
    """_check_text, and one word: no whitespace, nor any character of `also`, inside (a user, an address)."""
    _check_text(value, what)
    if any(c.isspace() or c in also for c in value):
        raise ValueError(why)
    return value


def _check_env_name(value: str) -> str:
    """A ``password_env``: the name of an environment variable. The value is deliberately not
    echoed: it may be the password itself."""
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "not an environment variable name (letters, digits, '_'); password_env names "
            "the variable holding the password, it is never the password itself"
        )
    return value


# where a pool's or a BMC's password is read from (``password_env = "SOME_VAR"``)
PasswordEnv = Annotated[StrictStr, AfterValidator(_check_env_name)]


def _password_from_env(name: str | None, environ: Mapping[str, str] | None) -> str | None:
    """The password from ``$name`` (``None`` if unset, empty or not configured)."""
    if name is None:
        return None
    env = os.environ if environ is None else environ
    return env.get(name) or None


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


def default_audit_path() -> Path:
    """``platformdirs.user_data_dir("xentui") / "audit.jsonl"``: where the audit goes unless ``audit_file`` says."""
    return platformdirs.user_data_path(APP_NAME) / "audit.jsonl"


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
    # the pool is diagnosed at most this often while facts arrive: one diagnosis per burst,
    # published to the console, the journal, `watch` and the exporter alike (engine/observed.py)
    diagnosis_interval: PositiveSeconds = 0.2
    max_concurrency: Annotated[StrictInt, Field(gt=0)] = 64
    # The long-running engine (console, `watch`, exporter) follows each host through a watcher loop
    # on its held session (engine/watcher.py): a heartbeat every `watch_period`, a line when pool.conf,
    # the master's reach, the local toolstack or the DB generation changes. False: poll every
    # poll_interval as before. A host where the loop cannot run is polled either way.
    watch_stream: StrictBool = True
    watch_period: PositiveSeconds = 1.0
    watch_toolstack_timeout: PositiveSeconds = 1.0  # the loop's local `GET /` to xapi
    # the xe / XenAPI reads of a streamed host: on a change, on refresh, and at least this often
    watch_read_interval: PositiveSeconds = 60.0
    watch_start_timeout: PositiveSeconds = 5.0  # the loop's first line, else the host is polled
    # a heartbeat later than the loop's longest gap plus this is silence (plus the host's own slack)
    watch_silence_margin: PositiveSeconds = 0.5
    password_command_timeout: PositiveSeconds = 30.0  # a password manager may ask to be unlocked
    audit_file: Path | None = None
    # Where this jump box keeps the vendor's update files: onboarding proposes
    # <update_dir>/<name-label>.iso for each update the new host lacks (it is still checked).
    update_dir: Path | None = None
    # The pool's lease (actions/lease): how long it holds unless renewed (a client that dies
    # leaves it stale after this); renewed every third of it while a plan runs.
    lease_ttl: PositiveSeconds = 120.0
    # HA (diagnosis/ha.py): the election window is first seen master loss + T + this (a heuristic:
    # xapi has no such constant; T + 60 s is xhad's BootJoinTimeout, XCP-ng says "about 2 minutes")
    ha_election_margin: PositiveSeconds = 60.0
    # Watch only: every change key of the console and `xentui apply` refuse (also --read-only).
    read_only: StrictBool = False
    # Out-of-band power (a host's `bmc`): the bound of every single BMC request (connect + read),
    # how long a power action may take to be read back (ForceOff until Off, On until On), how often
    # the power state is read while waiting, and how long a host powered on may take to come back.
    bmc_timeout: PositiveSeconds = 10.0
    power_settle_timeout: PositiveSeconds = 60.0
    power_poll_interval: PositiveSeconds = 1.0
    power_on_timeout: PositiveSeconds = 600.0

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


_REDFISH_URL = re.compile(r"https?://[^/\s?#]+(/[^\s?#]*)?")


class BmcEntry(_Model):
    """A host's out-of-band controller (``[pool.bmc.<host>]``): Redfish or IPMI, and how to log in.

    ``redfish = "https://10.0.0.101"`` (the service's base URL; the system is found
    through ``/redfish/v1/Systems`` unless ``system`` names its path) or
    ``ipmi = "10.0.0.101"`` (RMCP+, UDP 623, or ``ipmi_port``). The secret comes
    from ``password_env``, ``password_command`` (as for SSH), else a prompt.
    ``verify_tls`` (Redfish over https) is on unless set to false; ``ca_file``
    trusts a BMC's own certificate instead of turning the check off.
    """

    redfish: StrictStr | None = None
    ipmi: StrictStr | None = None
    ipmi_port: Annotated[StrictInt, Field(ge=1, le=65535)] = 623
    system: StrictStr | None = None
    user: Annotated[StrictStr, plain_text("user")]
    password_env: PasswordEnv | None = None
    password_command: StrictStr | None = None
    verify_tls: StrictBool = True
    ca_file: StrictStr | None = None

    @field_validator("redfish")
    @classmethod
    def _url_ok(cls, value: str | None) -> str | None:
        if value is not None and not _REDFISH_URL.fullmatch(value):
            raise ValueError("redfish must be the BMC's base URL, e.g. \"https://10.0.0.101\" (http:// or https://, no spaces)")
        return value

    @field_validator("ipmi")
    @classmethod
    def _address_ok(cls, value: str | None) -> str | None:
        why = "ipmi must be the BMC's address (a name or an IP, no scheme, no path)"
        return None if value is None else _check_word(value, "ipmi", "/", why)

    @model_validator(mode="after")
    def _one_protocol(self) -> BmcEntry:
        if (self.redfish is None) == (self.ipmi is None):
            raise _custom("bmc_protocol", "give exactly one of redfish = \"https://…\" or ipmi = \"<address>\"")
        if self.ipmi is not None and (self.system is not None or self.ca_file is not None):
            raise _custom("bmc_protocol", "system and ca_file are Redfish options; this BMC is ipmi")
        return self

    @property
    def protocol(self) -> str:
        return "redfish" if self.redfish is not None else "ipmi"

    @property
    def address(self) -> str:
        """What the audit and the screen name: the URL or the IPMI address."""
        return self.redfish if self.redfish is not None else f"ipmi://{self.ipmi}:{self.ipmi_port}"

    @property
    def tls_warning(self) -> str | None:
        """Said wherever this BMC is used: its certificate is not checked."""
        if self.redfish is not None and self.redfish.startswith("https://") and not self.verify_tls:
            return f"TLS verification is off for {self.redfish} (verify_tls = false in the config): anyone on the path could pose as this BMC"
        return None

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        return _password_from_env(self.password_env, environ)


class PoolConfig(_Model):
    """One ``[[pool]]``: its name, its hosts and how to SSH to them."""

    name: Annotated[StrictStr, plain_text("pool name")]
    hosts: Annotated[tuple[HostItem, ...], Field(min_length=1)]
    user: StrictStr | None = None
    port: Annotated[StrictInt, Field(ge=1, le=65535)] | None = None
    identity: StrictStr | None = None
    known_hosts: StrictStr | None = None
    ssh_config: StrictStr | None = None
    password_env: PasswordEnv | None = None
    password_command: StrictStr | None = None
    # out-of-band power per host (optional): host name -> its BMC
    bmc: dict[StrictStr, BmcEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bmc_of_known_hosts(self) -> PoolConfig:
        names = {h.name for h in self.hosts}
        for host in self.bmc:
            if host not in names:
                known = ", ".join(sorted(names))
                raise _custom("bmc_host", f"bmc for {host!r}, which is not one of this pool's hosts ({known})", loc=("bmc", host))
        return self

    @field_validator("user")
    @classmethod
    def _user_ok(cls, value: str | None) -> str | None:
        return None if value is None else _check_word(value, "user", "@", "user must not contain whitespace or '@'")

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
        return _password_from_env(self.password_env, environ)


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
            raise from_validation(exc, models=MODEL_FOR_LOC, prefix=f"pool[{name!r}]") from None
        pools = list(self.pools)
        if existing is None:
            pools.append(new_pool)
        else:
            pools[existing] = new_pool
        return self.model_copy(update={"pools": tuple(pools)})



# which model a location's keys belong to: the messages name the known keys of a misspelt one
MODEL_FOR_LOC: dict[tuple[str, ...], type[BaseModel]] = {
    (): Config,
    ("settings",): Settings,
    ("pool",): PoolConfig,
}
