"""Faults of the simulated network and sshd, seen by a real asyncssh client."""

from __future__ import annotations

import asyncio
import shutil
import socket
from typing import Any

import asyncssh
import pytest

from helpers.sim import ssh_connect
from xensim.server import Simulator


async def run(conn: asyncssh.SSHClientConnection, command: str, timeout: float = 5.0) -> asyncssh.SSHCompletedProcess:
    return await asyncio.wait_for(conn.run(command, check=False, stdin=asyncssh.DEVNULL), timeout)


def connect_plain(sim: Simulator, host: str, **kw: Any) -> Any:
    """asyncssh.connect with no client key (password / keyboard-interactive tests)."""
    h = sim.pool.host(host)
    return asyncssh.connect(
        "127.0.0.1", h.ssh_port, username="root", client_keys=None,
        known_hosts=str(sim.dir / "known_hosts"), agent_path=None, config=None, **kw,
    )


async def test_shutdown_refuses_connections_quickly(sim: Simulator) -> None:
    await sim.fault("shutdown", "plot4")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(OSError):  # ConnectionRefusedError
        await asyncio.wait_for(ssh_connect(sim, "plot4"), 3.0)
    assert loop.time() - t0 < 2.0
    # And it comes back on boot.
    await sim.fault("boot", "plot4")
    async with await asyncio.wait_for(ssh_connect(sim, "plot4"), 3.0) as conn:
        assert (await run(conn, "hostname")).stdout == "plot4\n"


def can_bind(port: int) -> bool:
    """Whether an unrelated socket (no reuse options) could take the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def test_shutdown_keeps_the_port_from_other_sockets(sim_factory: Any) -> None:
    # While a host is down its port must stay ours: if a client socket took it
    # as its ephemeral port (another test worker, another program), `boot`
    # would fail with EADDRINUSE. A connect is still refused, as on a real
    # powered-off host's address.
    sim = await sim_factory()
    port = sim.pool.host("plot4").ssh_port
    await sim.fault("shutdown", "plot4")
    assert not can_bind(port)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await sim.stop()
    assert can_bind(port)  # given back when the simulator stops
    # (`boot` re-listening on the kept port: test_shutdown_refuses_connections_quickly)


async def test_shutdown_resets_established_sessions(sim: Simulator) -> None:
    conn = await ssh_connect(sim, "plot4")
    try:
        assert (await run(conn, "hostname")).stdout == "plot4\n"
        await sim.fault("shutdown", "plot4")
        with pytest.raises((asyncssh.Error, OSError)):
            await run(conn, "hostname", timeout=3.0)
    finally:
        conn.abort()


async def test_cable_pull_connect_never_completes(sim: Simulator) -> None:
    await sim.fault("cable-pull", "plot3")
    with pytest.raises(asyncio.TimeoutError):  # no reset, no refusal: just silence
        await asyncio.wait_for(ssh_connect(sim, "plot3"), 1.0)
    await sim.fault("cable-restore", "plot3")
    async with await asyncio.wait_for(ssh_connect(sim, "plot3"), 3.0) as conn:
        assert (await run(conn, "hostname")).stdout == "plot3\n"


async def test_established_session_stalls_and_resumes(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot5") as conn:
        assert (await run(conn, "echo before")).stdout == "before\n"
        await sim.fault("cable-pull", "plot5")
        pending = asyncio.ensure_future(conn.run("echo after", check=False, stdin=asyncssh.DEVNULL))
        done, _ = await asyncio.wait({pending}, timeout=0.8)
        assert not done  # stalled, not failed
        await sim.fault("cable-restore", "plot5")
        r = await asyncio.wait_for(pending, 5.0)
        assert (r.exit_status, r.stdout) == (0, "after\n")


async def test_silent_banner(sim: Simulator) -> None:
    await sim.fault("silent-banner", "plot2")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ssh_connect(sim, "plot2"), 1.0)
    await sim.fault("restore-banner", "plot2")
    async with await asyncio.wait_for(ssh_connect(sim, "plot2"), 3.0) as conn:
        assert (await run(conn, "hostname")).stdout == "plot2\n"


async def test_hang_xapi_files_work_xe_does_not(sim: Simulator) -> None:
    await sim.fault("hang-xapi", "plot1")
    async with await ssh_connect(sim, "plot1") as conn:
        r = await run(conn, "cat /etc/xensource/pool.conf")
        assert (r.exit_status, r.stdout) == (0, "master")
        with pytest.raises(asyncio.TimeoutError):
            await run(conn, "xe host-list --minimal", timeout=0.8)
    # A slave forwarding to the hung master waits too.
    async with await ssh_connect(sim, "plot2") as conn:
        with pytest.raises(asyncio.TimeoutError):
            await run(conn, "xe pool-list", timeout=0.8)
        await sim.fault("unhang-xapi", "plot1")
        r = await run(conn, "xe pool-list params=master --minimal", timeout=3.0)
        assert r.stdout.strip() == sim.pool.host("plot1").uuid


async def test_latency_adds_delay(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot6") as conn:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await run(conn, "true")
        base = loop.time() - t0
        await sim.fault("latency", "plot6", "250")
        t0 = loop.time()
        r = await run(conn, "hostname", timeout=20)
        slow = loop.time() - t0
        assert r.stdout == "plot6\n"
        # Every chunk is delayed 250 ms each way: one command takes well over that.
        assert slow >= 0.25 and slow > base
        await sim.fault("latency", "plot6", "0")


async def test_bridge_forwards_each_write_at_once(sim: Simulator) -> None:
    # The bridge delays chunks (the latency fault) and must add nothing of its own. Without
    # TCP_NODELAY on the client-facing socket, the second of two small writes (exec reply, then
    # exit status) waited for the client's delayed ACK: ~40 ms more per command, on every host.
    async with await ssh_connect(sim, "plot6") as conn:
        await run(conn, "true")
        [link] = sim.fronts["plot6"].links
        for writer in link.writers:
            sock = writer.get_extra_info("socket")
            if sock.family == socket.AF_INET:
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_deny_auth(sim: Simulator) -> None:
    await sim.fault("deny-auth", "plot7")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(ssh_connect(sim, "plot7"), 5.0)
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(connect_plain(sim, "plot7", password="xenroot"), 5.0)
    await sim.fault("allow-auth", "plot7")
    async with await ssh_connect(sim, "plot7") as conn:
        assert (await run(conn, "hostname")).stdout == "plot7\n"


async def test_rekey_makes_old_known_hosts_refuse_the_host(sim: Simulator) -> None:
    old = sim.dir / "known_hosts.old"
    shutil.copy(sim.dir / "known_hosts", old)
    await sim.fault("rekey", "plot8")
    h = sim.pool.host("plot8")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await asyncio.wait_for(
            asyncssh.connect(
                "127.0.0.1", h.ssh_port, username="root", client_keys=[str(sim.dir / "id_ed25519")],
                known_hosts=str(old), agent_path=None, config=None,
            ),
            5.0,
        )
    # Other hosts keep their keys.
    async with await ssh_connect(sim, "plot7") as conn:
        assert (await run(conn, "hostname")).stdout == "plot7\n"


async def test_password_auth(sim: Simulator) -> None:
    async with await asyncio.wait_for(
        connect_plain(sim, "plot2", password="xenroot", preferred_auth="password"), 5.0
    ) as conn:
        assert (await run(conn, "hostname")).stdout == "plot2\n"
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(connect_plain(sim, "plot2", password="wrong", preferred_auth="password"), 5.0)


async def test_keyboard_interactive_auth(sim: Simulator) -> None:
    async with await asyncio.wait_for(
        connect_plain(sim, "plot3", password="xenroot", preferred_auth="keyboard-interactive"), 5.0
    ) as conn:
        assert (await run(conn, "hostname")).stdout == "plot3\n"
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(
            connect_plain(sim, "plot3", password="nope", preferred_auth="keyboard-interactive"), 5.0
        )
