"""Builders for the shell command lines xentui runs on a host over SSH.

Pure functions, no I/O. Every builder returns ONE string meant for a POSIX
shell (what sshd hands the command to). Every word in it goes through
:func:`shlex.quote`, so ``shlex.split(result)`` gives back exactly the argv
that was meant, whatever the values contain (``;``, ``$(…)``, backticks,
curly quotes, non-ASCII).

``xe`` is always called by its full path :data:`XE`: a non-interactive SSH
command does not always get a login shell's PATH.

Values must not contain a newline (or CR, or NUL): the xe client sends its
arguments to xapi joined by ``\\n``, so a newline inside a value would be
read by xapi as an extra ``key=value`` argument. Builders raise
:class:`ValueError` for such values instead of quoting them.

Every remote call should be bounded: wrap it with :func:`timeout_wrapped`.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "HEAD_MAX_BYTES",
    "TIMED_OUT_EXIT_CODES",
    "TIMEOUT_EXIT_CODES",
    "UUID_RE",
    "XE",
    "InvalidUUID",
    "host_emergency_ha_disable",
    "host_forget",
    "host_is_in_emergency_mode",
    "pool_ha_enable",
    "host_list",
    "host_param_get",
    "name_label_for_local_sr",
    "password_stdin",
    "patch_apply",
    "patch_list",
    "patch_upload",
    "pbd_list",
    "pool_designate_new_master",
    "pool_emergency_reset_master",
    "pool_emergency_transition_to_master",
    "pool_join",
    "pool_list",
    "pool_recover_slaves",
    "read_files",
    "section_marker",
    "sr_create_local",
    "sr_list",
    "timeout_wrapped",
    "update_apply",
    "update_list",
    "update_pool_apply",
    "update_upload",
    "VM_FIELDS",
    "vm_list_one",
    "vm_list_resident",
    "vm_reset_powerstate",
    "vm_start",
    "validate_address",
    "validate_device",
    "validate_uuid",
    "xe",
    "xe_argv",
]

XE = "/opt/xensource/bin/xe"
"""Full path of the xe client on every XenServer / XCP-ng host."""

TIMEOUT_EXIT_CODES: Mapping[int, str] = {
    124: "timed out",
    125: "timeout itself failed",
    126: "command found but not executable",
    127: "command not found",
    137: "killed after the grace period (SIGKILL)",
}
"""Exit statuses coreutils ``timeout`` uses for its own outcomes. Only some
of them mean "ran out of time": see :data:`TIMED_OUT_EXIT_CODES` (127, for
instance, means the command was not found)."""

TIMED_OUT_EXIT_CODES: frozenset[int] = frozenset({124, 137})
"""Exit statuses of :func:`timeout_wrapped` commands that mean the time ran out
(124: stopped by SIGTERM; 137: needed the SIGKILL after ``kill_after``)."""

HEAD_MAX_BYTES = 65536
"""Default byte limit for :func:`read_files`."""

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A canonical lowercase UUID (no anchors; use ``fullmatch``)."""

_VERB_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", re.ASCII)
_FLAG_RE = re.compile(r"--[a-z][a-z0-9]*(?:-[a-z0-9]+)*", re.ASCII)
# xe keys: host-uuid, device-config:device, other-config:my_key, params …
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", re.ASCII)
_PARAM_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", re.ASCII)
_DEVICE_RE = re.compile(r"[a-z][a-z0-9]*(?:-[0-9]+)?", re.ASCII)
_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_FORBIDDEN_IN_VALUES = ("\n", "\r", "\x00")


class InvalidUUID(ValueError):
    """Not a canonical ``8-4-4-4-12`` hexadecimal UUID."""


# --------------------------------------------------------------------------
# validation


def validate_uuid(s: str) -> str:
    """Return ``s`` as a canonical lowercase UUID, or raise :class:`InvalidUUID`.

    Accepts exactly ``8-4-4-4-12`` ASCII hex digits, in either case (the
    result is lowercased). No surrounding blanks, braces or ``urn:uuid:``.
    """
    if not isinstance(s, str) or not s.isascii():
        raise InvalidUUID(f"not a UUID: {s!r}")
    lowered = s.lower()
    if UUID_RE.fullmatch(lowered) is None:
        raise InvalidUUID(f"not a UUID: {s!r}")
    return lowered


def validate_address(s: str) -> str:
    """Return ``s`` if it is an IPv4 address, an IPv6 address or a host name.

    Host names follow RFC 1123 (letters, digits, hyphens; labels of 1-63
    characters; at most 253 in all; one trailing dot allowed). A dotted
    all-numeric string that is not a valid IPv4 address is refused. IPv6
    addresses are taken bare (no brackets). Raises :class:`ValueError`.
    """
    if not isinstance(s, str) or not s or not s.isascii():
        raise ValueError(f"not an IP address or host name: {s!r}")
    if any(ch.isspace() for ch in s):
        raise ValueError(f"not an IP address or host name: {s!r}")
    try:
        ipaddress.IPv4Address(s)
        return s
    except ValueError:
        pass
    if ":" in s:
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            raise ValueError(f"not an IP address or host name: {s!r}") from None
        if "%" in s and not re.fullmatch(r"[^%]+%[A-Za-z0-9_.-]+", s):
            raise ValueError(f"not an IP address or host name: {s!r}")
        return s
    name = s[:-1] if s.endswith(".") else s
    if not name or len(name) > 253:
        raise ValueError(f"not an IP address or host name: {s!r}")
    labels = name.split(".")
    if not all(_HOST_LABEL_RE.fullmatch(label) for label in labels):
        raise ValueError(f"not an IP address or host name: {s!r}")
    if labels[-1].isdigit():
        raise ValueError(f"not an IP address or host name: {s!r}")
    return s


def validate_device(device: str) -> str:
    """Return ``device`` if it is a plain kernel block-device name.

    ``sdb``, ``sdb1``, ``nvme0n1p1``, ``xvdb``, ``md0``, ``dm-3`` are fine;
    paths (``/dev/sdb``), blanks and anything else raise :class:`ValueError`.
    """
    if not isinstance(device, str) or len(device) > 32 or _DEVICE_RE.fullmatch(device) is None:
        raise ValueError(f"not a plain kernel device name: {device!r}")
    return device


def _check_value(what: str, value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    for bad in _FORBIDDEN_IN_VALUES:
        if bad in value:
            raise ValueError(f"{what} must not contain {bad!r} (xe would split it into another argument)")
    return value


def _join(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(word) for word in argv)


def _params_value(params: Iterable[str] | None) -> str | None:
    if params is None:
        return None
    if isinstance(params, str):
        params = [params]
    names = list(params)
    if not names:
        return None
    for name in names:
        if _PARAM_NAME_RE.fullmatch(name) is None:
            raise ValueError(f"not a field name: {name!r}")
    return ",".join(names)


# --------------------------------------------------------------------------
# general builder


def xe_argv(verb: str, *flags: str, kv: Mapping[str, str] | None = None, **params: str) -> list[str]:
    """The argv of an xe call (see :func:`xe`)."""
    if _VERB_RE.fullmatch(verb) is None:
        raise ValueError(f"not an xe command name: {verb!r}")
    words = [XE, verb]
    merged: dict[str, str] = {}
    for source in (kv or {}, params):
        for key, value in source.items():
            if _KEY_RE.fullmatch(key) is None:
                raise ValueError(f"not an xe parameter name: {key!r}")
            if key in merged:
                raise ValueError(f"parameter given twice: {key!r}")
            merged[key] = _check_value(key, value)
    words.extend(f"{key}={value}" for key, value in merged.items())
    for flag in flags:
        if _FLAG_RE.fullmatch(flag) is None:
            raise ValueError(f"not an xe flag: {flag!r}")
        words.append(flag)
    return words


def xe(verb: str, *flags: str, kv: Mapping[str, str] | None = None, **params: str) -> str:
    """Build ``/opt/xensource/bin/xe <verb> key=value … --flag …``.

    ``params`` become ``key=value`` words in the order given; keys that are
    not Python identifiers (``host-uuid``, ``device-config:device``) go in
    the ``kv`` mapping, which comes first. Each ``key=value`` word is quoted
    as a whole. ``flags`` (``"--minimal"``, ``"--force"``) come last.

    Raises :class:`ValueError` for a malformed verb, key or flag, a key given
    twice, or a value containing a newline, CR or NUL.

    >>> xe("host-list", "--minimal", kv={"name-label": "plot 1"})
    "/opt/xensource/bin/xe host-list 'name-label=plot 1' --minimal"
    """
    return _join(xe_argv(verb, *flags, kv=kv, **params))


def _list_command(verb: str, params: Iterable[str] | None, minimal: bool, kv: Mapping[str, str] | None = None) -> str:
    merged: dict[str, str] = dict(kv or {})
    joined = _params_value(params)
    if joined is not None:
        merged["params"] = joined
    flags = ("--minimal",) if minimal else ()
    return xe(verb, *flags, kv=merged)


# --------------------------------------------------------------------------
# listing


def pool_list(params: Iterable[str] | None = None, minimal: bool = False) -> str:
    """``xe pool-list [params=a,b] [--minimal]``. Forwarded to the master: bound it."""
    return _list_command("pool-list", params, minimal)


def host_list(params: Iterable[str] | None = None, minimal: bool = False) -> str:
    """``xe host-list [params=a,b] [--minimal]``. Forwarded to the master: bound it."""
    return _list_command("host-list", params, minimal)


def sr_list(params: Iterable[str] | None = None, minimal: bool = False, uuid: str | None = None) -> str:
    """``xe sr-list [uuid=<uuid>] [params=a,b] [--minimal]``."""
    return _list_command("sr-list", params, minimal, {"uuid": validate_uuid(uuid)} if uuid is not None else None)


def pbd_list(host_uuid: str | None = None, params: Iterable[str] | None = None, minimal: bool = False) -> str:
    """``xe pbd-list [host-uuid=<uuid>] [params=a,b] [--minimal]``.

    ``pbd_list(h, ["device-config", "host-uuid", "sr-uuid"])`` lists which
    devices are already used by an SR on host ``h``.
    """
    kv = {"host-uuid": validate_uuid(host_uuid)} if host_uuid is not None else None
    return _list_command("pbd-list", params, minimal, kv)


def update_list(params: Iterable[str] | None = None, minimal: bool = False) -> str:
    """``xe update-list [params=a,b] [--minimal]`` (7.x and later)."""
    return _list_command("update-list", params, minimal)


def patch_list(params: Iterable[str] | None = None, minimal: bool = False) -> str:
    """``xe patch-list [params=a,b] [--minimal]`` (older releases)."""
    return _list_command("patch-list", params, minimal)


def host_param_get(uuid: str, param_name: str, param_key: str | None = None) -> str:
    """``xe host-param-get uuid=<uuid> param-name=<name> [param-key=<key>]``."""
    if _PARAM_NAME_RE.fullmatch(param_name) is None:
        raise ValueError(f"not a field name: {param_name!r}")
    kv = {"uuid": validate_uuid(uuid), "param-name": param_name}
    if param_key is not None:
        kv["param-key"] = _check_value("param-key", param_key)
    return xe("host-param-get", kv=kv)


# --------------------------------------------------------------------------
# emergency / recovery


def host_is_in_emergency_mode() -> str:
    """``xe host-is-in-emergency-mode`` — runs locally, never forwarded."""
    return xe("host-is-in-emergency-mode")


def pool_emergency_transition_to_master(force: bool = False) -> str:
    """``xe pool-emergency-transition-to-master [--force]`` — run on the slave to promote."""
    return xe("pool-emergency-transition-to-master", *(("--force",) if force else ()))


def host_emergency_ha_disable() -> str:
    """``xe host-emergency-ha-disable --force`` — runs locally (Neverforward): disarms this host's HA,
    stops its daemon, writes ``ha.armed=false`` to local.db (xapi_ha.ml emergency_ha_disable).  Without
    ``--force`` it is refused (cli_operations.ml no_force_msg)."""
    return xe("host-emergency-ha-disable", "--force")


def pool_ha_enable(heartbeat_sr_uuid: str, timeout: int | None = None) -> str:
    """``xe pool-ha-enable heartbeat-sr-uuids=<sr> [ha-config:timeout=<T>]`` (the plural ``-uuids``:
    cli_frontend.ml; the XCP-ng doc's singular is wrong)."""
    kv = {"heartbeat-sr-uuids": validate_uuid(heartbeat_sr_uuid)}
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 10:
            raise ValueError("the HA timeout is whole seconds, at least 10 (Timeouts.derive)")
        kv["ha-config:timeout"] = str(timeout)
    return xe("pool-ha-enable", kv=kv)


def pool_emergency_reset_master(master_address: str) -> str:
    """``xe pool-emergency-reset-master master-address=<addr>`` — run on a slave."""
    return xe("pool-emergency-reset-master", kv={"master-address": validate_address(master_address)})


def pool_recover_slaves() -> str:
    """``xe pool-recover-slaves`` — run on the (new) master; prints the UUIDs it reset."""
    return xe("pool-recover-slaves")


def pool_designate_new_master(host_uuid: str) -> str:
    """``xe pool-designate-new-master host-uuid=<uuid>`` — run on a live master."""
    return xe("pool-designate-new-master", kv={"host-uuid": validate_uuid(host_uuid)})


def host_forget(uuid: str, force: bool) -> str:
    """``xe host-forget uuid=<uuid> [--force]`` — run on the master.

    Without ``--force`` xe asks ``Type 'yes' to continue`` on stdin, which
    over non-interactive SSH ends in ``Lost connection to the server.``; pass
    ``force=True`` only after the tool's own confirmation. ``force`` has no
    default on purpose.
    """
    return xe("host-forget", *(("--force",) if force else ()), kv={"uuid": validate_uuid(uuid)})


# --------------------------------------------------------------------------
# storage


def sr_create_local(device: str, host_uuid: str, name_label: str) -> str:
    """``xe sr-create content-type=user device-config:device=/dev/<device>
    host-uuid=<uuid> name-label=<label> shared=false type=lvm``.

    ``device`` is a plain kernel name (``sdb``, ``sdb1``, ``nvme0n1p1``);
    ``name_label`` may contain anything but a newline (blanks, quotes, curly
    quotes are all quoted). Prints the new SR's UUID on success.
    """
    dev = validate_device(device)
    label = _check_value("name-label", name_label)
    if not label.strip():
        raise ValueError("name-label must not be blank")
    return xe(
        "sr-create",
        kv={
            "content-type": "user",
            "device-config:device": f"/dev/{dev}",
            "host-uuid": validate_uuid(host_uuid),
            "name-label": label,
            "shared": "false",
            "type": "lvm",
        },
    )


def name_label_for_local_sr(hostname: str, taken: set[str] | frozenset[str]) -> str:
    """``Local storage 2 on <hostname>``, or ``… 3 …``, ``… 4 …`` — the first not in ``taken``."""
    n = 2
    while True:
        label = f"Local storage {n} on {hostname}"
        if label not in taken:
            return label
        n += 1


# --------------------------------------------------------------------------
# patches / updates


def _file_name(file_name: str) -> str:
    _check_value("file-name", file_name)
    if not file_name:
        raise ValueError("file-name must not be empty")
    return file_name


def update_upload(file_name: str) -> str:
    """``xe update-upload file-name=<path>`` — prints the new update's UUID."""
    return xe("update-upload", kv={"file-name": _file_name(file_name)})


def patch_upload(file_name: str) -> str:
    """``xe patch-upload file-name=<path>`` — prints the new patch's UUID."""
    return xe("patch-upload", kv={"file-name": _file_name(file_name)})


def update_apply(uuid: str, host_uuid: str) -> str:
    """``xe update-apply uuid=<update> host-uuid=<host>``."""
    return xe("update-apply", kv={"uuid": validate_uuid(uuid), "host-uuid": validate_uuid(host_uuid)})


def update_pool_apply(uuid: str) -> str:
    """``xe update-pool-apply uuid=<update>``."""
    return xe("update-pool-apply", kv={"uuid": validate_uuid(uuid)})


def patch_apply(uuid: str, host_uuid: str) -> str:
    """``xe patch-apply uuid=<patch> host-uuid=<host>``."""
    return xe("patch-apply", kv={"uuid": validate_uuid(uuid), "host-uuid": validate_uuid(host_uuid)})


# --------------------------------------------------------------------------
# joining a pool


_PW_VAR = "XENTUI_PW"


def pool_join(master_address: str, master_username: str, *, force: bool = False) -> str:
    """A command that joins this host to the pool of ``master_address``,
    reading the master's password from its stdin.

    The password never appears in the returned string, so the string can be
    logged and shown. The command is::

        sh -c 'IFS= read -r XENTUI_PW || [ -n "$XENTUI_PW" ] || exit 2;
               exec /opt/xensource/bin/xe pool-join master-address=… \\
                    master-username=… "master-password=$XENTUI_PW" [force=true]'

    (one line in reality). The caller writes the password followed by
    ``"\\n"`` to the process's stdin (see :func:`password_stdin`), then closes
    it. ``IFS= read -r`` keeps blanks and backslashes; the variable is
    expanded inside double quotes, so the password's content is never
    re-parsed by the shell; the variable is not exported. Caveat that no
    command line can avoid: while xe runs, the password is in its argv on the
    remote host (visible to local root in ``ps``); xapi's own log censors
    ``*password*`` parameters.

    ``force=True`` adds ``force=true`` (skips only the software-version and
    CPU checks). Prints ``Host agent will restart and attempt to join pool
    in 10. seconds...`` on success.
    """
    if not master_username:
        raise ValueError("master-username must not be empty")
    argv = xe_argv(
        "pool-join",
        kv={
            "master-address": validate_address(master_address),
            "master-username": _check_value("master-username", master_username),
        },
    )
    script = (
        f'IFS= read -r {_PW_VAR} || [ -n "${_PW_VAR}" ] || exit 2; exec {_join(argv)} '
        f'"master-password=${_PW_VAR}"'
    )
    if force:
        script += " force=true"
    return _join(["sh", "-c", script])


def password_stdin(password: str) -> str:
    """What to write to :func:`pool_join`'s stdin: the password and a newline.

    Raises :class:`ValueError` if the password contains a newline, CR or NUL
    (it could not be passed through xe intact).
    """
    _check_value("password", password)
    return password + "\n"


# --------------------------------------------------------------------------
# bounding and batching


def _format_seconds(seconds: float) -> str:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("seconds must be a number")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"timeout must be a positive finite number of seconds, not {seconds!r}")
    if float(seconds).is_integer():
        return str(int(seconds))
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    if text == "0":
        raise ValueError(f"timeout too small: {seconds!r}")
    return text


@functools.lru_cache(maxsize=256)
def timeout_wrapped(seconds: float, command: str, kill_after: float | None = 2.0) -> str:
    """Bound ``command`` with coreutils ``timeout``.

    Memoized (a pure function of its arguments): every poll wraps the same
    few commands, and splitting them again was ~16 ms of a 64-host poll.

    Gives ``timeout -k <kill_after> <seconds> <command>`` when ``command`` is
    a plain quoted argv (what every builder here returns), or
    ``timeout … sh -c '<command>'`` for anything else (pipes, ``;``, …) so
    the whole command is bounded. ``kill_after`` sends SIGKILL that long
    after the SIGTERM; ``None`` leaves it out. On expiry the exit status is
    124 (137 if SIGKILL was needed), see :data:`TIMEOUT_EXIT_CODES`; a hung
    ``xe`` (slave waiting for a dead master) shows up that way.
    """
    if not isinstance(command, str) or not command.strip():
        raise ValueError("command must be a non-empty string")
    prefix = ["timeout"]
    if kill_after is not None:
        prefix += ["-k", _format_seconds(kill_after)]
    prefix.append(_format_seconds(seconds))
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = []
    if argv and _join(argv) == command:
        return _join(prefix) + " " + command
    return _join([*prefix, "sh", "-c", command])


def read_files(paths: Sequence[str], max_bytes: int = HEAD_MAX_BYTES) -> str:
    """``head -v -c <max_bytes> -- <paths…>``: several small files in one call.

    ``-v`` makes head print its ``==> name <==`` header even for a single
    file; parse the output with :func:`xentui.xe.files.parse_head_sections`.
    Unreadable files are reported on stderr and simply have no section.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError("max_bytes must be a positive int")
    if isinstance(paths, str) or not paths:
        raise ValueError("paths must be a non-empty sequence of paths")
    for path in paths:
        _check_value("path", path)
        if not path:
            raise ValueError("empty path")
    return _join(["head", "-v", "-c", str(max_bytes), "--", *paths])


def section_marker(label: str) -> str:
    """``printf '\\n==> %s <==\\n' <label>``: a section header exactly like head's.

    Put it between commands whose output should be read with
    :func:`xentui.xe.files.parse_head_sections`, e.g.
    ``read_files([...]) + "; " + section_marker("lsblk") + "; " + "lsblk -P"``.
    Like head it emits a newline before the header, which the parser drops.
    """
    _check_value("label", label)
    if "<==" in label:
        raise ValueError("label must not contain '<=='")
    return _join(["printf", "\\n==> %s <==\\n", label])


# --------------------------------------------------------------------------
# VMs (stranded after a lost host: issue 28)

#: the fields xentui reads of a VM, records.ml vm_record names (v1.249.42, v24.40.0, v25.39.0)
VM_FIELDS = ("uuid", "name-label", "power-state", "resident-on", "is-control-domain", "ha-restart-priority")


def vm_list_resident(host_uuid: str, params: Iterable[str] = VM_FIELDS) -> str:
    """``xe vm-list resident-on=<uuid> power-state=running is-control-domain=false params=…``:
    the VMs the database says run on that host (filters compare the printed value: the UUID)."""
    kv = {"resident-on": validate_uuid(host_uuid), "power-state": "running", "is-control-domain": "false"}
    return _list_command("vm-list", params, False, kv)


def vm_list_one(uuid: str, params: Iterable[str] = VM_FIELDS) -> str:
    """``xe vm-list uuid=<uuid> params=…``: one VM read back (nothing printed: it is gone)."""
    return _list_command("vm-list", params, False, {"uuid": validate_uuid(uuid)})


def vm_reset_powerstate(uuid: str, force: bool) -> str:
    """``xe vm-reset-powerstate uuid=<uuid> --force`` — marks the VM halted in the database only.

    Safe only when the host it was resident on is really off (fenced, or attested): xapi refuses
    only while that host answers (HOST_IS_LIVE); a cut-off host that still runs the VM passes.
    ``force`` has no default: without it xe refuses ("This operation must be forced")."""
    return xe("vm-reset-powerstate", *(("--force",) if force else ()), kv={"uuid": validate_uuid(uuid)})


def vm_start(uuid: str, on: str | None = None) -> str:
    """``xe vm-start uuid=<uuid> [on=<host uuid>]`` — prints nothing on success."""
    kv = {"uuid": validate_uuid(uuid)}
    if on is not None:
        kv["on"] = validate_uuid(on)
    return xe("vm-start", kv=kv)
