"""The XenAPI package against the simulator, through SSH port forwards.

XenAPI is blocking: every call runs in a worker thread so the simulator's
event loop (the same loop as the test) keeps serving.
"""

from __future__ import annotations

import asyncio
import ssl
import xmlrpc.client
from typing import Any, Callable

import asyncssh
import pytest
import XenAPI

from helpers.sim import ssh_connect
from xensim.server import Simulator


async def blocking(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    return await asyncio.wait_for(asyncio.to_thread(fn), timeout)


class TimeoutSafeTransport(xmlrpc.client.SafeTransport):
    """TLS without certificate checks (the SSH tunnel authenticates the host), with a socket timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__(context=ssl._create_unverified_context())
        self.timeout = timeout

    def make_connection(self, host: Any) -> Any:
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


class TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: Any) -> Any:
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


async def tunnel_443(conn: asyncssh.SSHClientConnection) -> int:
    listener = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", 443)
    return listener.get_port()


async def test_login_on_slave_answers_host_is_slave(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot3") as conn:
        port = await tunnel_443(conn)
        session = XenAPI.Session(f"https://127.0.0.1:{port}", ignore_ssl=True)
        with pytest.raises(XenAPI.Failure) as info:
            await blocking(lambda: session.login_with_password("root", "xenroot", "2.21", "xentui-test"))
        assert info.value.details == ["HOST_IS_SLAVE", sim.pool.host("plot1").address]
        # Before the password is checked.
        with pytest.raises(XenAPI.Failure) as info:
            await blocking(lambda: session.login_with_password("root", "wrong"))
        assert info.value.details[0] == "HOST_IS_SLAVE"


async def test_login_on_master(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot1") as conn:
        port = await tunnel_443(conn)
        session = XenAPI.Session(f"https://127.0.0.1:{port}", ignore_ssl=True)
        await blocking(lambda: session.login_with_password("root", "xenroot", "2.21", "xentui-test"))
        assert session.handle.startswith("OpaqueRef:")
        pools = await blocking(lambda: session.xenapi.pool.get_all())
        assert pools == ["OpaqueRef:" + sim.pool.host("plot1").db.pool_uuid]
        master = await blocking(lambda: session.xenapi.pool.get_master(pools[0]))
        record = await blocking(lambda: session.xenapi.host.get_record(master))
        assert (record["name_label"], record["address"]) == ("plot1", sim.pool.host("plot1").address)
        assert record["software_version"]["product_version"] == "8.2.1"
        live = await blocking(lambda: session.xenapi.host_metrics.get_live(record["metrics"]))
        assert live is True
        hosts = await blocking(lambda: session.xenapi.host.get_all())
        assert len(hosts) == 8
        await blocking(lambda: session.xenapi.session.logout())
        # A wrong password is refused.
        other = XenAPI.Session(f"https://127.0.0.1:{port}", ignore_ssl=True)
        with pytest.raises(XenAPI.Failure) as info:
            await blocking(lambda: other.login_with_password("root", "wrong"))
        assert info.value.details[0] == "SESSION_AUTHENTICATION_FAILED"


async def test_plain_http_port_80(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot1") as conn:
        listener = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", 80)
        session = XenAPI.Session(f"http://127.0.0.1:{listener.get_port()}", transport=TimeoutTransport(5))
        await blocking(lambda: session.login_with_password("root", "xenroot"))
        assert len(await blocking(lambda: session.xenapi.pool.get_all())) == 1


async def test_unix_socket_on_master(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot1") as conn:
        listener = await conn.forward_local_port_to_path("127.0.0.1", 0, "/var/lib/xcp/xapi")
        session = XenAPI.Session(f"http://127.0.0.1:{listener.get_port()}", transport=TimeoutTransport(5))
        # Pre-authenticated as root: the password is not checked.
        await blocking(lambda: session.login_with_password("root", ""))
        pools = await blocking(lambda: session.xenapi.pool.get_all())
        assert pools == ["OpaqueRef:" + sim.pool.host("plot1").db.pool_uuid]


async def test_unix_socket_on_slave_forwards_and_hangs_without_master(sim: Simulator) -> None:
    async with await ssh_connect(sim, "plot4") as conn:
        listener = await conn.forward_local_port_to_path("127.0.0.1", 0, "/var/lib/xcp/xapi")
        session = XenAPI.Session(f"http://127.0.0.1:{listener.get_port()}", transport=TimeoutTransport(1.0))
        await blocking(lambda: session.login_with_password("root", ""))
        assert len(await blocking(lambda: session.xenapi.host.get_all())) == 8
        await sim.fault("cable-pull", "plot1")
        with pytest.raises(TimeoutError):  # socket timeout of the transport: no answer
            await blocking(lambda: session.xenapi.pool.get_all())
        # The TCP login still answers at once.
        port = await tunnel_443(conn)
        tcp = XenAPI.Session(f"https://127.0.0.1:{port}", transport=TimeoutSafeTransport(3.0))
        with pytest.raises(XenAPI.Failure) as info:
            await blocking(lambda: tcp.login_with_password("root", "xenroot"))
        assert info.value.details == ["HOST_IS_SLAVE", sim.pool.host("plot1").address]


async def test_no_forwarding(sim: Simulator) -> None:
    await sim.fault("no-forwarding", "plot1")
    async with await ssh_connect(sim, "plot1") as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", 443)
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_unix_connection(asyncssh.SSHUNIXSession, "/var/lib/xcp/xapi")
        # xe still works.
        r = await conn.run("xe host-list --minimal", check=False)
        assert r.exit_status == 0
