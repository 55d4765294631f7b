"""Run a simulated pool: every host its own sshd on 127.0.0.1, faults on demand.

`Simulator` builds the hosts of a scenario, starts one asyncssh server per
host behind its `HostFront`, and writes into its directory what a client
needs: `ssh_config`, `known_hosts`, the client key and a xentui pool config.
A control socket (`control.sock`, a unix socket) takes faults from
`xentui sim ctl`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from . import records as R
from . import scenarios
from .releases import DEFAULT_RELEASE
from .network import HostFront
from .shell import Shell
from .bmc import RedfishBMC, self_signed_certificate
from .state import SimHost, SimPool, Timing
from .vms import add_vm
from .xapi import XapiHandler, make_certificate, server_tls_context

DEFAULT_PASSWORD = "xenroot"
FAULTS = (
    "shutdown",
    "boot",
    "cable-pull",
    "cable-restore",
    "hang-xapi",
    "unhang-xapi",
    "latency",
    "no-forwarding",
    "allow-forwarding",
    "silent-banner",
    "restore-banner",
    "rekey",
    "ha-enable",  # the pool as pool-ha-enable leaves it (every host armed; HOST is ignored)
    "ha-wedge",  # the master lock stays with its holder when it is lost: no survivor can be elected
    "bmc-unreachable",
    "bmc-reachable",
    "bmc-stuck-on",
    "bmc-honest",
    "bmc-delay",
    "remove-command",
    "restore-command",
)
DEFAULT_BMC_PASSWORD = "bmc-secret"


class HostSSHServer(asyncssh.SSHServer):
    """The sshd of one simulated host (one instance per connection)."""

    def __init__(self, sim: "Simulator", host: SimHost) -> None:
        self.sim = sim
        self.host = host
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.sim.open_connections[self.host.name] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.sim.open_connections[self.host.name] -= 1

    # -- authentication: keys, password, keyboard-interactive (PAM)
    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if username != "root" or self.host.name in self.sim.auth_denied:
            return False
        blob = key.export_public_key("openssh").decode().split()[1]
        return blob in self.sim.authorized_blobs

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "root" and password == self.sim.password and self.host.name not in self.sim.auth_denied

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> Any:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Any) -> bool:
        return len(responses) == 1 and self.validate_password(username, responses[0])

    # -- port forwarding: the XenAPI channel and the host's own TCP connects
    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> Any:
        self.sim.channels[self.host.name, "direct-tcpip"] += 1
        if not self.host.forwarding:
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed: administratively prohibited")
        pool = self.sim.pool
        if dest_host in ("127.0.0.1", "localhost", "::1", self.host.address):
            target = self.host
        else:
            target = pool.by_address(dest_host)
        if target is None or not pool.can_reach(self.host, target):
            # The host's connect() never completes: packets are dropped.
            async def _never(reader: Any, writer: Any) -> None:
                await asyncio.Event().wait()

            async def _hang() -> Any:
                await asyncio.Event().wait()

            return _hang()
        if dest_port not in (80, 443) or not pool.xapi_listening(target):
            return False
        handler = XapiHandler(pool, target, self.sim.password, via_unix=False, calls=self.sim.xapi_calls)
        if dest_port == 80:
            return handler.serve
        return lambda r, w: self.sim.serve_tls(target, handler, r, w)

    def unix_connection_requested(self, dest_path: str) -> Any:
        self.sim.channels[self.host.name, "direct-streamlocal"] += 1
        if not self.host.forwarding:
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed: administratively prohibited")
        if dest_path != "/var/lib/xcp/xapi" or not self.sim.pool.xapi_listening(self.host):
            return False
        return XapiHandler(self.sim.pool, self.host, self.sim.password, via_unix=True, calls=self.sim.xapi_calls).serve

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return False


@dataclass(eq=False)
class Simulator:
    """A running simulated pool: `hosts` hosts in `dir`, set up as `scenario` of `release`."""

    dir: Path
    hosts: int = 8
    scenario: str = "healthy"
    timing: Timing | None = None
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    base_port: int = 0
    seed: int = 1
    release: str = DEFAULT_RELEASE
    # Out-of-band power: every host gets a Redfish BMC on loopback (https with a self-signed
    # certificate when bmc_tls; the pool config then trusts it by ca_file, or turns the check
    # off when bmc_verify_tls is False).
    bmc: bool = False
    bmc_tls: bool = False
    bmc_verify_tls: bool = True
    bmc_password: str = field(default=DEFAULT_BMC_PASSWORD, repr=False)
    # Guest VMs running at start: (name-label, host, ha-restart-priority)
    vms: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        self.dir = Path(self.dir)
        self.pool = SimPool(self.dir / "hosts", timing=self.timing, seed=self.seed)
        self.fronts: dict[str, HostFront] = {}
        self.host_keys: dict[str, asyncssh.SSHKey] = {}
        self.authorized_blobs: set[str] = set()
        self.auth_denied: set[str] = set()
        self.control: asyncio.base_events.Server | None = None
        self.received: list[tuple[str, list[str]]] = []  # (host, argv) of every simple command run
        # (host, "exec" | "direct-tcpip" | "direct-streamlocal") -> channels a client opened: what a probe costs a host
        self.channels: Counter[tuple[str, str]] = Counter()
        # (host, method) -> XenAPI calls its xapi answered: what a probe asks the toolstack
        self.xapi_calls: Counter[tuple[str, str]] = Counter()
        # host -> SSH connections open now (a client that ended must leave none behind)
        self.open_connections: Counter[str] = Counter()
        # host -> commands its root login cannot run (a restricted PATH: `sh: command not found`)
        self.missing_commands: dict[str, set[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.bmcs: dict[str, RedfishBMC] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> "Simulator":
        self.dir.mkdir(parents=True, exist_ok=True)
        client_key = self._client_key()
        self.authorized_blobs.add(client_key.export_public_key("openssh").decode().split()[1])
        scenarios.build(self.pool, self.hosts, self.scenario, self.release)
        for i, h in enumerate(self.pool.hosts.values()):
            h.forwarding = True
            self.host_keys[h.name] = self._host_key(h.name)
            cert, key = make_certificate(h.name)
            h.write("/etc/xensource/xapi-ssl.pem", key + cert)
            port = self.base_port + i if self.base_port else 0
            front = HostFront(h, self._ssh_starter(h), port=port, seed=self.seed + i)
            self.fronts[h.name] = front
            if h.powered:
                await front.open()
            else:
                # A powered-off host still needs a port to be written into ssh_config.
                await front.open()
                await front.close()
            h.ssh_port = front.port
        self.pool.listeners.append(self._on_physical_change)
        for name, on, ha in self.vms:
            add_vm(self.pool, name, on, scenarios.stable_uuid("vm", name), ha)
        if self.bmc:
            for h in self.pool.hosts.values():
                tls = self_signed_certificate(self.dir / "bmc", h.name) if self.bmc_tls else None
                b = RedfishBMC(self.pool, h, self.bmc_password, tls=tls)
                await b.start()
                self.bmcs[h.name] = b
        await scenarios.settle(self.pool, self.scenario)
        self.pool.truth.record(self.pool, "started")
        self.write_client_files()
        await self._start_control()
        return self

    async def stop(self) -> None:
        if self.control is not None:
            self.control.close()
        for b in self.bmcs.values():
            await b.stop()
        for front in self.fronts.values():
            await front.close()
            front.release()
        for h in self.pool.hosts.values():
            if h.restart_task:
                h.restart_task.cancel()
        for t in list(self._tasks):
            t.cancel()
        if self.pool.ha is not None:
            self.pool.ha.stop()

    async def __aenter__(self) -> "Simulator":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ keys and client files
    def _client_key(self) -> asyncssh.SSHKey:
        path = self.dir / "id_ed25519"
        if path.exists():
            return asyncssh.read_private_key(str(path))
        key = asyncssh.generate_private_key("ssh-ed25519", comment="xentui-sim-client")
        key.write_private_key(str(path))
        key.write_public_key(str(path) + ".pub")
        path.chmod(0o600)
        return key

    def _host_key(self, name: str) -> asyncssh.SSHKey:
        path = self.dir / "host_keys" / f"{name}_ed25519"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            return asyncssh.read_private_key(str(path))
        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"root@{name}")
        key.write_private_key(str(path))
        return key

    def write_client_files(self) -> None:
        known, conf, names = [], [], []
        for name, h in self.pool.hosts.items():
            port = h.ssh_port
            pub = self.host_keys[name].export_public_key("openssh").decode().split()
            known.append(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}")
            conf.append(
                f"Host {name}\n"
                f"    HostName 127.0.0.1\n"
                f"    Port {port}\n"
                f"    User root\n"
                f"    IdentityFile {self.dir / 'id_ed25519'}\n"
                f"    IdentitiesOnly yes\n"
                f"    UserKnownHostsFile {self.dir / 'known_hosts'}\n"
                f"    StrictHostKeyChecking yes\n"
                f"    ConnectTimeout 5\n"
            )
            names.append(name)
        (self.dir / "known_hosts").write_text("\n".join(known) + "\n")
        (self.dir / "ssh_config").write_text("\n".join(conf))
        # The pool config lists the pool's members only: a standalone host (plot9 in
        # `onboarding`) is reachable through ssh_config but not yet part of the pool.
        first = next(iter(self.pool.hosts.values()))
        members = [n for n in names if self.pool.hosts[n].db.pool_uuid == first.db.pool_uuid]
        hosts = ", ".join(f'"{n}"' for n in members)
        (self.dir / "pools.toml").write_text(
            "# xentui pool config for the simulator in this directory (written by `xentui sim`).\n"
            "[[pool]]\n"
            f'name = "sim"\n'
            f"hosts = [{hosts}]\n"
            f'ssh_config = "{self.dir / "ssh_config"}"\n'
            + self._bmc_config(members)
        )
        # The vendor's update files for the pool's updates, as an admin keeps them on the jump box.
        updates = self.dir / "updates"
        updates.mkdir(exist_ok=True)
        for up in first.db.updates.values():
            (updates / f"{up.name_label}.iso").write_bytes(R.update_package(up))
        (self.dir / "ports.json").write_text(json.dumps({n: h.ssh_port for n, h in self.pool.hosts.items()}))

    def _bmc_config(self, members: list[str]) -> str:
        """`[pool.bmc.<host>]` for every member with a BMC; the secret through password_command."""
        if not self.bmcs:
            return ""
        secret = self.dir / "bmc-password"
        secret.write_text(self.bmc_password + "\n")
        secret.chmod(0o600)
        out = []
        for n in members:
            b = self.bmcs.get(n)
            if b is None:
                continue
            out.append(f"\n[pool.bmc.{n}]\nredfish = \"{b.url}\"\nuser = \"{b.user}\"\n"
                       f"password_command = \"cat {secret}\"\n")
            if b.tls and self.bmc_verify_tls:
                out.append(f'ca_file = "{b.tls[0]}"\n')
            elif b.tls:
                out.append("verify_tls = false\n")
        return "".join(out)

    # ------------------------------------------------------------------ SSH plumbing
    def _ssh_starter(self, h: SimHost) -> Any:
        async def start(sock: socket.socket) -> None:
            try:
                conn = await asyncssh.run_server(
                    sock,
                    server_factory=lambda: HostSSHServer(self, h),
                    server_host_keys=[self.host_keys[h.name]],
                    process_factory=lambda proc: self._exec(h, proc),
                    sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(h.root).encode()),
                    encoding=None,
                    allow_scp=False,
                    login_timeout=30,
                    keepalive_interval=0,
                )
                await conn.wait_closed()
            except (asyncssh.Error, OSError, asyncio.TimeoutError):
                pass

        return start

    async def _exec(self, h: SimHost, proc: asyncssh.SSHServerProcess[bytes]) -> None:
        self.channels[h.name, "exec"] += 1
        command = proc.command
        if command is None:
            proc.stdout.write(b"This simulated host serves commands only: ssh HOST COMMAND\n")
            proc.exit(1)
            return

        async def read_stdin() -> str:
            try:
                line = await asyncio.wait_for(proc.stdin.readline(), 5)
            except (asyncio.TimeoutError, asyncssh.Error):
                return ""
            return line.decode(errors="replace") if isinstance(line, bytes) else line

        def output(out: bytes, err: bytes) -> None:
            if out:
                proc.stdout.write(out)
            if err:
                proc.stderr.write(err)

        shell = Shell(
            self.pool, h, self.password, read_stdin, on_argv=lambda argv: self.received.append((h.name, argv)), on_output=output,
            missing=frozenset(self.missing_commands.get(h.name, ())),
        )
        work = asyncio.ensure_future(shell.run_line(command))
        closed = asyncio.ensure_future(proc.wait_closed())
        try:
            done, _ = await asyncio.wait({work, closed}, return_when=asyncio.FIRST_COMPLETED)
            if work in done:
                result = work.result()
                proc.stdout.write(result.stdout)
                proc.stderr.write(result.stderr)
                proc.exit(result.status)
        except (asyncssh.Error, OSError, BrokenPipeError):
            pass
        finally:
            work.cancel()
            closed.cancel()

    async def serve_tls(self, h: SimHost, handler: XapiHandler, reader: Any, writer: Any) -> None:
        """TLS termination for :443, over the SSH channel's streams."""
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        done = asyncio.Event()

        def connected(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            t = asyncio.ensure_future(handler.serve(r, w))
            t.add_done_callback(lambda _: done.set())

        tls_reader = asyncio.StreamReader()
        proto = asyncio.StreamReaderProtocol(tls_reader, connected)
        r2, w2 = await asyncio.open_connection(sock=ours)

        async def copy(src: Any, dst: Any) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except Exception:
                pass
            finally:
                try:
                    dst.write_eof()
                except Exception:
                    pass

        a = asyncio.ensure_future(copy(reader, w2))
        b = asyncio.ensure_future(copy(r2, writer))
        try:
            # The TLS handshake needs the pumps running: start them first.
            await loop.connect_accepted_socket(lambda: proto, sock=theirs, ssl=server_tls_context(h))
            await asyncio.wait({a, b}, return_when=asyncio.ALL_COMPLETED)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError):
            pass  # a client that hangs up mid-handshake ends its channel, never the SSH connection
        finally:
            # closed by the garbage collector after the test's loop ended: nothing left to cancel
            if not loop.is_closed():
                a.cancel()
                b.cancel()
                w2.close()
                try:
                    writer.close()
                except Exception:
                    pass

    # ------------------------------------------------------------------ faults
    def _on_physical_change(self, h: SimHost) -> None:
        front = self.fronts.get(h.name)
        if front is None:
            return
        if h.powered:
            self._spawn(front.open())
        else:
            self._spawn(front.close())
        front.cable(h.cable)

    def _spawn(self, coro: Any) -> None:
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def fault(self, fault: str, host: str, *args: str) -> str:
        """Apply a fault to a host; returns a one-line description."""
        h = self.pool.host(host)
        pool = self.pool
        if fault == "shutdown":
            pool.power_off(h)
            await self.fronts[host].close()
        elif fault == "boot":
            pool.power_on(h)
            await self.fronts[host].open()
        elif fault == "cable-pull":
            pool.set_cable(h, False)
        elif fault == "cable-restore":
            pool.set_cable(h, True)
        elif fault == "hang-xapi":
            h.xapi_hung = True
            pool.notify()
        elif fault == "unhang-xapi":
            h.xapi_hung = False
            pool.notify()
        elif fault == "latency":
            h.latency = float(args[0]) / 1000 if args else 0.0
            h.jitter = float(args[1]) / 1000 if len(args) > 1 else 0.0
            pool.notify()
        elif fault == "no-forwarding":
            h.forwarding = False
        elif fault == "allow-forwarding":
            h.forwarding = True
        elif fault == "silent-banner":
            self.fronts[host].banner_silent = True
        elif fault == "restore-banner":
            self.fronts[host].banner_silent = False
        elif fault == "rekey":
            path = self.dir / "host_keys" / f"{host}_ed25519"
            path.unlink(missing_ok=True)
            self.host_keys[host] = self._host_key(host)
        elif fault == "ha-enable":
            scenarios.enable_ha(pool)
        elif fault == "ha-wedge":
            if pool.ha is None:
                raise ValueError("HA is not enabled on the simulated pool (fault ha-enable first)")
            pool.ha.stuck_lock = True
            pool.notify("ha wedged")
        elif fault in ("bmc-unreachable", "bmc-reachable"):
            await self.bmcs[host].set_reachable(fault == "bmc-reachable")
        elif fault in ("bmc-stuck-on", "bmc-honest"):
            self.bmcs[host].stuck_on = fault == "bmc-stuck-on"
        elif fault == "bmc-delay":
            self.bmcs[host].delay = float(args[0]) if args else 0.0
        elif fault == "remove-command":  # a restricted login (rbash, a trimmed PATH): not found
            self.missing_commands.setdefault(host, set()).update(args)
        elif fault == "restore-command":
            self.missing_commands.get(host, set()).difference_update(args)
        elif fault == "deny-auth":
            self.auth_denied.add(host)
        elif fault == "allow-auth":
            self.auth_denied.discard(host)
        else:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS + ('deny-auth', 'allow-auth'))}")
        pool.truth.record(pool, f"{fault} {host}")
        return f"{fault} {host} {' '.join(args)}".strip()

    def state(self) -> dict[str, Any]:
        return {
            name: {
                "port": h.ssh_port,
                "address": h.address,
                "uuid": h.uuid,
                "pool_conf": h.pool_conf,
                "powered": h.powered,
                "cable": h.cable,
                "xapi": "hung" if h.xapi_hung else h.xapi_state,
                "role": h.running_role,
                "emergency": h.emergency_error,
                "ha": None if self.pool.ha is None else {
                    "daemon": name in self.pool.ha.daemon, "lock": self.pool.ha.lock == name,
                },
                "domains": sorted(h.domains),
                "bmc": self.bmcs[name].url if name in self.bmcs else None,
            }
            for name, h in self.pool.hosts.items()
        }

    # ------------------------------------------------------------------ control socket
    async def _start_control(self) -> None:
        path = self.dir / "control.sock"
        path.unlink(missing_ok=True)
        self.control = await asyncio.start_unix_server(self._control_client, path=str(path))

    async def _control_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            req = json.loads(line)
            if req.get("fault") == "state":
                reply = {"ok": True, "state": self.state()}
            else:
                done = await self.fault(req["fault"], req["host"], *req.get("args", []))
                reply = {"ok": True, "done": done}
        except Exception as e:  # reported to the ctl client, never crashes the simulator
            reply = {"ok": False, "error": str(e)}
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()


async def send_control(directory: Path, fault: str, host: str, *args: str) -> dict[str, Any]:
    """Client side of the control socket (`xentui sim ctl`)."""
    reader, writer = await asyncio.open_unix_connection(str(Path(directory) / "control.sock"))
    writer.write(json.dumps({"fault": fault, "host": host, "args": list(args)}).encode() + b"\n")
    await writer.drain()
    reply = json.loads(await reader.readline())
    writer.close()
    return reply
