"""Connecting to the host that will join: an unknown host key is refused, shown, and trusted only
when the admin says so (see the package docstring, step 1)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from xentui.core.config import HostEntry, PoolConfig
from xentui.core.model import CommandResult
from xentui.engine.sessions import HostSession, HostTarget
from xentui.core.model import SshState

if TYPE_CHECKING:
    from xentui.engine.pool import PoolEngine


# =========================================================================== 1. connecting


class HostKeyRefused(Exception):
    """trust_host_key will not write the key (mismatch, or another key is already trusted)."""


@dataclass
class NewHostConnection:
    """The outcome of :func:`connect_new_host`.

    ``connected`` is true only when SSH is up with a host key already trusted.
    With ``state == HOST_KEY_UNKNOWN``, ``fingerprint`` and ``offered_key``
    (OpenSSH one-line public key) are what the host presented; show the
    fingerprint, and only after the admin accepts it call
    ``trust_host_key(known_hosts_path, known_hosts_host, known_hosts_port, offered_key)``.
    """

    session: HostSession
    state: SshState
    error: str | None
    fingerprint: str | None
    offered_key: str | None = None
    known_hosts_host: str | None = None  # the name/address known_hosts is matched on
    known_hosts_port: int | None = None
    known_hosts_path: str | None = None  # where the target's known_hosts lives (the UI may choose another)

    @property
    def connected(self) -> bool:
        return self.state is SshState.UP

    @property
    def needs_trust(self) -> bool:
        return self.state is SshState.HOST_KEY_UNKNOWN and self.offered_key is not None

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def up(self) -> bool:
        """The session is up now (it may drop after `connect_new_host` returned)."""
        return self.session.state is SshState.UP

    async def close(self) -> None:
        await self.session.close()

    def abort(self) -> None:
        """Drop the connection at once (the console quits with the pane open)."""
        if self.session.conn is not None:
            self.session.conn.abort()


async def _resolved_endpoint(target: HostTarget) -> tuple[str, int, str | None]:
    """(host, port, known_hosts file) as asyncssh will use them, after ~/.ssh/config-style resolution."""
    kw: dict[str, Any] = {"host": target.host}
    kw["port"] = target.port if target.port else ()
    if target.ssh_config:
        kw["config"] = [str(Path(target.ssh_config).expanduser())]
    else:
        kw["config"] = ()
    opts = await asyncssh.SSHClientConnectionOptions.construct(**kw)
    host = opts.host_key_alias or opts.host or target.host
    port = int(opts.port or 22)
    kh: str | None = target.known_hosts
    if kh is None:
        known = getattr(opts, "known_hosts", None)
        if isinstance(known, (list, tuple)) and known and isinstance(known[0], (str, os.PathLike)):
            kh = str(known[0])
        elif isinstance(known, (str, os.PathLike)):
            kh = str(known)
    if kh is None:
        kh = str(Path("~/.ssh/known_hosts").expanduser())
    return host, port, kh


async def connect_new_host(
    target: HostTarget,
    connect_timeout: float,
    *,
    on_command: Callable[[CommandResult], None] | None = None,
) -> NewHostConnection:
    """Open the SSH session to the host that will join; never accepts an unknown key.

    Returns the session either way (the UI keeps it and calls ``connect()``
    again after :func:`trust_host_key`).
    """
    session = HostSession(target, connect_timeout=connect_timeout, on_command=on_command)
    await session.connect()
    out = NewHostConnection(session=session, state=session.state, error=session.error, fingerprint=session.fingerprint)
    try:
        out.known_hosts_host, out.known_hosts_port, out.known_hosts_path = await _resolved_endpoint(target)
    except (asyncssh.Error, OSError, ValueError) as e:
        if out.error is None and session.state is not SshState.UP:
            out.error = f"{target.name}: {e}"
    if session.state is SshState.HOST_KEY_UNKNOWN:
        # The engine refused the key and kept only its fingerprint: fetch the key itself (a second
        # handshake, no login) and offer it only if it is the same key.
        try:
            kw: dict[str, Any] = {}
            if target.ssh_config:
                kw["config"] = [str(Path(target.ssh_config).expanduser())]
            if target.port:
                kw["port"] = target.port
            key = await asyncio.wait_for(asyncssh.get_server_host_key(target.host, **kw), connect_timeout + 1)
        except (asyncssh.Error, OSError, asyncio.TimeoutError, TimeoutError) as e:
            out.error = f"{out.error}; could not fetch the offered key again: {e}"
            return out
        if key is None or key.get_fingerprint() != session.fingerprint:
            got = key.get_fingerprint() if key is not None else "none"
            out.error = (
                f"{target.name}: the host offered {session.fingerprint} and then {got} on a second "
                "connection — not offered for trust (something in between is changing keys)"
            )
            return out
        out.offered_key = key.export_public_key("openssh").decode().strip()
        out.error = (
            f"{target.name}: host key unknown ({session.fingerprint}); compare it with the host's own "
            "`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` (console or iDRAC/iLO) before trusting it"
        )
    return out


def new_host_target(entry: HostEntry, pool: PoolConfig | None, *, user: str | None = None,
                    password: str | None = None) -> HostTarget:
    """The new host as an SSH target: its own address and port, else the pool's port, user,
    identity, known_hosts and ssh_config (the new host is reached the way the pool's hosts are)."""
    return HostTarget(
        name=entry.name,
        host=entry.host,
        port=entry.port or (pool.port if pool is not None else None),
        user=user or (pool.user if pool is not None else None),
        identity=pool.identity if pool is not None else None,
        known_hosts=pool.known_hosts if pool is not None else None,
        ssh_config=pool.ssh_config if pool is not None else None,
        password=password,
    )


async def connect_to_join(engine: PoolEngine, entry: HostEntry, *, user: str | None = None,
                          password: str | None = None) -> NewHostConnection:
    """`connect_new_host` for a host that will join `engine`'s pool: reached as the pool's hosts
    are, bounded by the pool's connect timeout, its commands shown where the engine's are."""
    target = new_host_target(entry, engine.pool, user=user, password=password)
    return await connect_new_host(target, float(engine.settings.connect_timeout), on_command=engine.on_command)


def pool_host_session(engine: PoolEngine | None, name: str | None) -> HostSession | None:
    """The engine's session to one host of the pool (the master the new host is compared with)."""
    if engine is None or name is None:
        return None
    return engine.sessions.get(name)


def _known_hosts_pattern(host: str, port: int | None) -> str:
    return host if port in (None, 22) else f"[{host}]:{port}"


async def trust_host_key(
    known_hosts_path: str | os.PathLike[str],
    host: str,
    port: int | None,
    fingerprint_or_key: str | asyncssh.SSHKey,
    *,
    timeout: float = 5.0,
) -> str:
    """Append the host key to ``known_hosts_path`` — call it ONLY after the admin accepted it.

    ``fingerprint_or_key`` is the OpenSSH public key line (``ssh-ed25519 AAAA…``,
    what :class:`NewHostConnection` ``.offered_key`` holds), an ``SSHKey``, or
    a fingerprint (``SHA256:…`` / ``MD5:…``): then the key is fetched from
    ``host:port`` and written only if its fingerprint is exactly that one.
    ``host``/``port`` are what known_hosts is matched on (``known_hosts_host``
    / ``known_hosts_port``). Returns the line written (or already present).
    Raises :class:`HostKeyRefused` if the fetched key does not match, or when
    the file already trusts a DIFFERENT key for that host (a changed key is
    never overwritten here).
    """
    if isinstance(fingerprint_or_key, asyncssh.SSHKey):
        key = fingerprint_or_key
    elif re.match(r"^(SHA256|MD5):", fingerprint_or_key.strip()):
        wanted = fingerprint_or_key.strip()
        fetched = await asyncio.wait_for(asyncssh.get_server_host_key(host, port or 22), timeout)
        if fetched is None:
            raise HostKeyRefused(f"{host}: presented no host key")
        algo = "md5" if wanted.startswith("MD5:") else "sha256"
        got = fetched.get_fingerprint(algo)
        if got != wanted:
            raise HostKeyRefused(f"{host}: presents {got}, not the accepted {wanted} — nothing written")
        key = fetched
    else:
        try:
            key = asyncssh.import_public_key(fingerprint_or_key.strip())
        except (asyncssh.KeyImportError, ValueError) as e:
            raise HostKeyRefused(f"not a public key or fingerprint: {e}") from None
    pub = key.export_public_key("openssh").decode().split()
    line = f"{_known_hosts_pattern(host, port)} {pub[0]} {pub[1]}"
    path = Path(known_hosts_path).expanduser()
    existing = path.read_text() if path.exists() else ""
    if existing.strip():
        try:
            trusted = asyncssh.import_known_hosts(existing).match(host, host, port)[0]
        except (asyncssh.Error, ValueError):
            trusted = []
        blobs = {k.public_data for k in trusted}
        if key.public_data in blobs:
            return line
        if blobs:
            raise HostKeyRefused(
                f"{path} already trusts another key for {_known_hosts_pattern(host, port)}: "
                "a changed host key is not overwritten; remove the old line after checking the host"
            )
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        prefix = "\n" if existing and not existing.endswith("\n") else ""
        os.write(fd, (prefix + line + "\n").encode())
    finally:
        os.close(fd)
    return line
