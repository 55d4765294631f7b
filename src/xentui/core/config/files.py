"""The config on disk: found ($XENTUI_CONFIG, the user config dir), loaded, and written atomically."""

from __future__ import annotations

import math
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit
from pydantic import ValidationError

from xentui.core.config.messages import ConfigError, from_validation, locate
from xentui.core.config.schema import (
    APP_NAME,
    CONFIG_ENV,
    CONFIG_FILENAME,
    MODEL_FOR_LOC,
    Config,
    HostEntry,
    PoolConfig,
    Settings,
    default_audit_path,
)


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
        line = locate(text, ("pools",))
        raise ConfigError("unknown key 'pools' (pools are declared as [[pool]] tables)",
                          path=shown, line=line, field="pools")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise from_validation(exc, models=MODEL_FOR_LOC, path=shown, text=text) from None


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


def _toml_value(value: Any) -> str:
    """One scalar as TOML (tomlkit's escaping: quotes, backslashes and control characters)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot write non-finite number {value!r}")
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, (bool, int, float, str)):
        raise TypeError(f"cannot write {type(value).__name__} to TOML")
    return tomlkit.item(value).as_string()


def _host_toml(host: HostEntry) -> str:
    """A ``hosts`` item as it is written: the bare name, or ``{ name = ..., address = ... }``."""
    if host.address is None:
        return _toml_value(host.name)
    return f"{{ name = {_toml_value(host.name)}, address = {_toml_value(host.address)} }}"


def _toml_raw_array(items: Sequence[str]) -> str:
    """An array of values already in TOML."""
    flat = "[" + ", ".join(items) + "]"
    if len(items) <= 4 and len(flat) <= 72:
        return flat
    return "[\n" + "".join(f"    {i},\n" for i in items) + "]"


def _toml_array(items: Sequence[str], indent: str = "") -> str:
    flat = "[" + ", ".join(_toml_value(i) for i in items) + "]"
    if len(items) <= 4 and len(flat) <= 72:
        return flat
    body = "".join(f"{indent}    {_toml_value(i)},\n" for i in items)
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
            example = default_audit_path() if name == "audit_file" else "~/updates"
            lines.append(f"# {name} = {_toml_value(str(example))}")
        elif value == default and type(value) is type(default):
            lines.append(f"# {name} = {_toml_value(value)}")
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    for pool in config.pools:
        lines += ["", "[[pool]]", f"name = {_toml_value(pool.name)}",
                  f"hosts = {_toml_raw_array([_host_toml(h) for h in pool.hosts])}"]
        for name in PoolConfig.model_fields:
            if name in ("name", "hosts", "bmc"):
                continue
            value = getattr(pool, name)
            if value is not None:
                lines.append(f"{name} = {_toml_value(value)}")
        for host, bmc in pool.bmc.items():  # [pool.bmc.<host>]: one table per host with a BMC
            lines += ["", f"[pool.bmc.{_toml_value(host)}]"]
            for name in type(bmc).model_fields:
                value = getattr(bmc, name)
                if value is not None and value != type(bmc).model_fields[name].default:
                    lines.append(f"{name} = {_toml_value(value)}")
                elif name == "user":
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
