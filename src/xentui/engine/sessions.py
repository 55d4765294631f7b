"""SSH sessions to the hosts of a pool (asyncssh).

One `HostSession` per host holds at most one SSH connection and runs every
remote command through it, each bounded by a timeout: a command that does
not return in time becomes a `CommandResult` with `timed_out=True`, which
the probe turns into the finding "no answer in N s".  Connection failures
are classified into `SshState` values with a one-line cause naming the host.

`~/.ssh/config` (ProxyJump included), the agent, keys and known_hosts are
asyncssh's own handling; xentui only adds what a pool needs on top: a
per-pool ssh_config/identity/known_hosts, a password held in memory only,
and a host key that is never accepted silently.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import shlex
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import asyncssh

from xentui.engine.fair_wait import fair_wait_for
from xentui.core.model import CommandResult, SshState

MAX_OUTPUT = 4 * 1024 * 1024  # bytes kept of one command's stdout/stderr

# AES-GCM before ChaCha20 (OpenSSH's and asyncssh's first choice), unless the
# ssh_config names Ciphers: asyncssh builds ChaCha20 cipher objects for every
# packet, AES-GCM runs on the CPU's AES instructions; with 64 hosts polled
# this cut the engine's CPU by ~15% and halved the loop's p99 (bench/).
# Every XenServer/XCP-ng sshd offers aes128-gcm@openssh.com; the rest of the
# list is the usual fallback.
PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
)


@dataclass(frozen=True)
class HostTarget:
    """Where and how to reach one host."""

    name: str  # as written in the config
    host: str  # ssh alias or address
    port: int | None = None
    user: str | None = None
    identity: str | None = None
    known_hosts: str | None = None
    ssh_config: str | None = None
    password: str | None = field(default=None, repr=False)  # memory only, never logged


class _Client(asyncssh.SSHClient):
    """Records the host key a server offered when it was not trusted."""

    def __init__(self) -> None:
        self.offered: asyncssh.SSHKey | None = None
        self.had_known_key = False
        self.known: list[str] = []  # fingerprints of the keys known_hosts holds for this host
        self.conn: Any = None

    def connection_made(self, conn: Any) -> None:
        self.conn = conn

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.offered = key
        trusted = getattr(self.conn, "_trusted_host_keys", None)
        self.had_known_key = bool(trusted)
        self.known = sorted(k.get_fingerprint() for k in trusted or ())
        return False  # never accept an unknown key silently


class _MemoShlex:
    """`shlex` for asyncssh's ssh_config reader, remembering the words of lines already split.

    asyncssh tokenizes every line of the ssh_config with `shlex.split` (pure
    Python, ~19 us a line) each time it builds a host's options, whether or
    not the line's Host block applies: a 64-host ssh_config (576 lines) cost
    11-23 ms of event-loop time per host, 0.7-1.5 s for a first probe of 64
    hosts, in 20-40 ms slices that stalled the loop.  The lines are the same
    for every host of the file, and splitting a line is a pure function of
    it, so the second host onwards pays only for lines never seen.
    """

    @staticmethod
    @functools.lru_cache(maxsize=16384)
    def _split(line: str) -> tuple[str, ...]:
        return tuple(shlex.split(line))

    @classmethod
    def split(cls, s: str, comments: bool = False, posix: bool = True) -> list[str]:
        if comments or not posix:
            return shlex.split(s, comments, posix)
        return list(cls._split(s))  # a fresh list: the caller may change it


def _memoize_config_tokenizer() -> None:
    import asyncssh.config as ssh_config_module

    if getattr(ssh_config_module, "shlex", None) is shlex:  # left alone if asyncssh stops using shlex
        ssh_config_module.shlex = _MemoShlex  # type: ignore[assignment]


_memoize_config_tokenizer()


_KNOWN_HOSTS: dict[tuple[tuple[str, int, int], ...], asyncssh.SSHKnownHosts] = {}


def _known_hosts_read_once(paths: Any) -> asyncssh.SSHKnownHosts | None:
    """The known_hosts files `paths` (a path or a list, as asyncssh keeps them), parsed once while they
    do not change.

    Given paths, asyncssh reads and parses the files again at every connect: for a pool of 64
    hosts with a 64-line known_hosts, 4096 key decodes (0.14 s of a 64-host `check`'s CPU). The
    parse is keyed by each file's mtime and size, so a key trusted meanwhile is seen at the next
    connect. None (asyncssh reads them itself, as before) when a file is missing or unreadable.
    """
    if isinstance(paths, str):
        paths = [paths]
    if not paths or not isinstance(paths, (list, tuple)) or not all(isinstance(p, str) for p in paths):
        return None
    try:
        stamp = tuple((p, (st := Path(p).expanduser().stat()).st_mtime_ns, st.st_size) for p in paths)
        if stamp not in _KNOWN_HOSTS:
            if len(_KNOWN_HOSTS) > 64:
                _KNOWN_HOSTS.clear()
            _KNOWN_HOSTS[stamp] = asyncssh.read_known_hosts([str(Path(p).expanduser()) for p in paths])
    except (OSError, ValueError):
        return None
    return _KNOWN_HOSTS[stamp]


@dataclass
class _Ended:
    """How a streamed command ended (the fields of asyncssh's SSHCompletedProcess that run() reads)."""

    exit_status: int | None
    exit_signal: Any
    stdout: bytes
    stderr: bytes


async def _streamed(
    conn: asyncssh.SSHClientConnection, command: str, data: bytes | None, marker: bytes, on_head: Callable[[str], None]
) -> _Ended:
    proc = await conn.create_process(command, input=data, encoding=None)

    async def stdout() -> bytes:
        try:
            head = bytes(await proc.stdout.readuntil(marker))
        except asyncio.IncompleteReadError as e:  # ended before the marker: all of it is the head
            head = bytes(e.partial)
        if not head.endswith(marker):
            on_head(_decode(head))
            return head
        on_head(_decode(head[: -len(marker)]))
        return head + bytes(await proc.stdout.read())

    try:
        out, err = await asyncio.gather(stdout(), proc.stderr.read())
        await proc.wait_closed()
    finally:
        proc.close()
    return _Ended(proc.exit_status, proc.exit_signal, out, bytes(err))


def _decode(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data[:MAX_OUTPUT].decode("utf-8", errors="replace")
    return str(data)[:MAX_OUTPUT]


class HostSession:
    """The SSH connection to one host, with bounded commands and reconnects."""

    def __init__(
        self,
        target: HostTarget,
        connect_timeout: float = 5.0,
        keepalive_interval: float = 15.0,
        on_command: Callable[[CommandResult], None] | None = None,
        limiter: asyncio.Semaphore | None = None,
        config_turns: asyncio.Lock | None = None,
    ) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.keepalive_interval = keepalive_interval
        self.on_command = on_command
        self.limiter = limiter or asyncio.Semaphore(64)
        self.config_turns = config_turns or asyncio.Lock()
        self.conn: asyncssh.SSHClientConnection | None = None
        self.state = SshState.UNKNOWN
        self.error: str | None = None
        self.fingerprint: str | None = None
        self.key_type: str | None = None  # the offered key's algorithm
        self.known_fingerprints: list[str] = []  # what known_hosts holds, when the offered key differs
        self.known_hosts_file: str | None = None  # the (first) known_hosts file the key was checked against
        self.key_host: tuple[str, int | None, str | None] | None = None  # (HostName, Port, HostKeyAlias)
        self.connect_ms: float | None = None
        self.failures = 0
        # the host's measured answer time (the file read's round trip, decaying): a slow host's
        # answers are waited for that much longer (`slack`), so slow reads "slow", not "stalled"
        self.answer_time = 0.0
        self._lock = asyncio.Lock()
        self._options_cache: tuple[tuple[tuple[str, int], ...], asyncssh.SSHClientConnectionOptions] | None = None

    @property
    def name(self) -> str:
        return self.target.name

    def use_password(self, password: str) -> None:
        """Offer *password* from the next connect on (the options are rebuilt with it)."""
        self.target = dataclasses.replace(self.target, password=password)
        self._options_cache = None

    # ------------------------------------------------------------------ connect
    def _options(self) -> dict[str, Any]:
        t = self.target
        kw: dict[str, Any] = {
            "connect_timeout": 3 * self.connect_timeout,
            "login_timeout": 3 * self.connect_timeout,
            "keepalive_interval": self.keepalive_interval,
            "keepalive_count_max": 3,
            "encoding": None,
        }
        if t.ssh_config:
            kw["config"] = [str(Path(t.ssh_config).expanduser())]
        if t.port:
            kw["port"] = t.port
        if t.user:
            kw["username"] = t.user
        if t.identity:
            kw["client_keys"] = [str(Path(t.identity).expanduser())]
        if t.known_hosts:
            kw["known_hosts"] = str(Path(t.known_hosts).expanduser())
        if t.password:
            kw["password"] = t.password
        return kw

    def _config_files_stamp(self) -> tuple[tuple[str, int], ...]:
        """When the ssh_config files this host reads last changed (a change re-reads them)."""
        t = self.target
        paths = [Path(t.ssh_config).expanduser()] if t.ssh_config else [Path("~/.ssh/config").expanduser()]
        stamp = []
        for path in paths:
            try:
                stamp.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                stamp.append((str(path), -1))
        return tuple(stamp)

    async def _base_options(self) -> asyncssh.SSHClientConnectionOptions:
        """This host's options with its ssh_config already applied, built once per config change.

        asyncssh re-parses every ssh_config file on every connect, in the loop's
        default executor: with a 64-host config that is ~11 ms of pure-Python
        CPU per host, and 64 such threads at once held the GIL against the
        event loop (stalls of 300-500 ms during the first probe: every socket
        call of the loop waited out a thread's switch interval).  Parsed here,
        on the loop (with the tokenizer memoized, see `_MemoShlex`), once per
        host, it is one short callback; the pool's sessions take turns
        (`config_turns`), so the loop runs its timers and I/O between two
        hosts' parses.  A reconnect reuses the result, and asyncssh then only
        re-reads known_hosts and keys (so a key trusted meanwhile is seen).
        """
        async with self.config_turns:
            stamp = self._config_files_stamp()
            if self._options_cache is None or self._options_cache[0] != stamp:
                options = asyncssh.SSHClientConnectionOptions(
                    host=self.target.host, loop=asyncio.get_running_loop(), **self._options()
                )
                self._options_cache = (stamp, options)
                await asyncio.sleep(0)  # hold the turn across one loop iteration: the next parse waits for it
            return self._options_cache[1]

    async def _open(self, client: "_Client") -> asyncssh.SSHClientConnection:
        options = await self._base_options()  # ValueError/OSError from a bad ssh_config: classified by connect()
        extra: dict[str, Any] = {} if options.config.get("Ciphers") else {"encryption_algs": PREFERRED_CIPHERS}
        paths = options.known_hosts
        first = paths[0] if isinstance(paths, (list, tuple)) and paths else paths
        self.known_hosts_file = str(first) if isinstance(first, (str, Path)) else None
        # where ssh really connects (HostName, Port from ssh_config): how known_hosts names the host
        real_host, real_port = str(getattr(options, "host", "") or self.target.host), getattr(options, "port", None)
        self.key_host = (real_host, real_port if isinstance(real_port, int) else None,
                         getattr(options, "host_key_alias", None))
        known_hosts = _known_hosts_read_once(options.known_hosts)
        if known_hosts is not None:
            extra["known_hosts"] = known_hosts
        return await asyncssh.connect(self.target.host, options=options, client_factory=lambda: client, **extra)

    async def connect(self) -> bool:
        """Connect if not connected; classify any failure. Never raises."""
        async with self._lock:
            if self.conn is not None and not self.conn.is_closed():
                return True
            client = _Client()
            started = time.monotonic()
            try:
                async with self.limiter:
                    # the loop's own lateness is not the host's silence (asyncssh's own connect and
                    # login timeouts are set wider, see _options: this wait is the bound)
                    self.conn = await fair_wait_for(self._open(client), self.connect_timeout + 1 + self.slack)
            except BaseException as e:  # classified below; cancellation re-raised
                if isinstance(e, asyncio.CancelledError):
                    raise
                self.conn = None
                self.failures += 1
                self.state, self.error = self._classify(e, client)
                return False
            self.connect_ms = (time.monotonic() - started) * 1000
            self.state, self.error, self.failures = SshState.UP, None, 0
            key = self.conn.get_server_host_key()
            self.fingerprint = key.get_fingerprint() if key else None
            self.key_type = key.get_algorithm() if key else None
            self.known_fingerprints = []
            return True

    def _classify(self, e: BaseException, client: _Client) -> tuple[SshState, str]:
        who = self.target.name
        if client.offered is not None and isinstance(e, (asyncssh.HostKeyNotVerifiable, asyncssh.DisconnectError)):
            self.fingerprint = client.offered.get_fingerprint()
            self.key_type = client.offered.get_algorithm()
            self.known_fingerprints = client.known
            if client.had_known_key:
                return (
                    SshState.HOST_KEY_CHANGED,
                    f"{who}: HOST KEY CHANGED, now {self.fingerprint} — refused (possible attack); "
                    "check the host, then fix known_hosts",
                )
            return (
                SshState.HOST_KEY_UNKNOWN,
                f"{who}: host key unknown ({self.fingerprint}); not accepted — verify it and add it to known_hosts",
            )
        if isinstance(e, asyncssh.PermissionDenied):
            return SshState.AUTH_FAILED, f"{who}: authentication failed ({e.reason or 'permission denied'})"
        if isinstance(e, (asyncio.TimeoutError, TimeoutError)):
            return SshState.NO_ANSWER, f"{who}: no answer in {self.connect_timeout:g} s"
        if isinstance(e, ConnectionRefusedError):
            return SshState.REFUSED, f"{who}: connection refused"
        if isinstance(e, socket.gaierror):
            return SshState.DNS_FAILED, f"{who}: {self.target.host!r} does not resolve ({e.strerror}): a configuration error, not a down host"
        if isinstance(e, asyncssh.ConnectionLost):
            return SshState.ERROR, f"{who}: connection lost during login"
        if isinstance(e, asyncssh.DisconnectError):
            return SshState.ERROR, f"{who}: {e.reason}"
        if isinstance(e, OSError):
            return SshState.ERROR, f"{who}: {e.strerror or e}"
        return SshState.ERROR, f"{who}: {type(e).__name__}: {e}"

    def note_answer(self, seconds: float) -> None:
        """A quick read answered in `seconds`: the host's expected answer time follows it (up at once, down slowly)."""
        self.answer_time = max(seconds, 0.7 * self.answer_time)

    @property
    def slack(self) -> float:
        """How much longer than a timeout this host's answers may take, from its measured answer time."""
        return 3 * self.answer_time

    def backoff(self, low: float, high: float) -> float:
        """Delay before the next reconnect: exponential in failures, with jitter."""
        base = min(high, low * (2 ** max(0, self.failures - 1)))
        return base * random.uniform(0.5, 1.0)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.abort()

    async def _answers(self, conn: asyncssh.SSHClientConnection) -> bool:
        """One round trip on `conn` (after a command timed out): does the host answer at all?"""
        try:
            await fair_wait_for(conn.run("true", check=False), self.connect_timeout + 2 * self.slack)
        except (asyncio.TimeoutError, TimeoutError, asyncssh.Error, OSError):
            return False
        return True

    def _drop(self, reason: str) -> None:
        """The connection failed under a command: forget it so the next call reconnects."""
        if self.conn is not None:
            self.conn.abort()
        self.conn = None
        self.state, self.error = SshState.NO_ANSWER, f"{self.target.name}: {reason}"

    # ------------------------------------------------------------------ commands
    async def run(
        self,
        command: str,
        timeout: float,
        stdin: str | None = None,
        record: bool = True,
        early: tuple[bytes, Callable[[str], None]] | None = None,
    ) -> CommandResult:
        """Run one command, bounded by `timeout`. Never raises (but for cancellation).

        `early=(marker, on_head)`: `on_head` gets the output before `marker` as soon as the
        marker arrives (or all of it, at the end, if it never does), so one channel can carry
        a fast read followed by a slower check (engine/probe.py's file read and reach check).
        """
        started_wall, started = time.time(), time.monotonic()
        result: CommandResult
        if not await self.connect():
            result = CommandResult(self.name, command, None, "", "", started_wall, 0.0, error=self.error)
        else:
            conn = self.conn
            assert conn is not None
            try:
                data = stdin.encode() if stdin is not None else None
                proc = await fair_wait_for(
                    conn.run(command, input=data, check=False) if early is None else _streamed(conn, command, data, *early),
                    timeout + self.slack,
                )
                if proc.exit_status is None and proc.exit_signal is None:
                    # sshd always says how a command ended: the channel closed under it (host reset, sshd died).
                    raise asyncssh.ConnectionLost("channel closed without an exit status")
                result = CommandResult(
                    self.name, command, proc.exit_status, _decode(proc.stdout), _decode(proc.stderr),
                    started_wall, time.monotonic() - started,
                )
            except (asyncio.TimeoutError, TimeoutError):
                result = CommandResult(
                    self.name, command, None, "", "", started_wall, time.monotonic() - started,
                    timed_out=True, error=f"no answer in {timeout:g} s",
                )
                # The command, or the whole host?  A stalled link (cable pulled under an open session)
                # must read "no answer", not "toolstack hung", and the next call must reconnect.
                if self.conn is conn and (conn.is_closed() or not await self._answers(conn)):
                    self._drop(f"no answer in {timeout:g} s (connection stalled)")
            except (asyncssh.Error, OSError) as e:
                if self.conn is conn:
                    self._drop(f"connection lost ({e})")
                result = CommandResult(
                    self.name, command, None, "", "", started_wall, time.monotonic() - started,
                    error=f"connection lost: {e}",
                )
        if record and self.on_command is not None:
            self.on_command(result)
        return result

    async def open_tunnel(self, remote_host: str, remote_port: int, timeout: float) -> asyncssh.SSHListener | None:
        """A local port forwarded through this host to remote_host:remote_port."""
        if not await self.connect():
            return None
        assert self.conn is not None
        return await asyncio.wait_for(self.conn.forward_local_port("127.0.0.1", 0, remote_host, remote_port), timeout)

    async def open_connection(self, remote_host: str, remote_port: int, timeout: float) -> tuple[Any, Any]:
        """A direct-tcpip channel from this host (raises on failure or timeout)."""
        if not await self.connect():
            raise ConnectionError(self.error)
        assert self.conn is not None
        return await asyncio.wait_for(self.conn.open_connection(remote_host, remote_port), timeout)
