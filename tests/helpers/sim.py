"""Plain SSH to one simulated host (no engine): what an admin's own `ssh` would see."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncssh

from xentui.sim.server import Simulator

__all__ = ["run_on", "ssh_connect"]


async def ssh_connect(sim: Simulator, host: str, **kw: Any) -> asyncssh.SSHClientConnection:
    """A plain asyncssh client connection to one simulated host, host key checked."""
    h = sim.pool.host(host)
    return await asyncssh.connect(
        "127.0.0.1",
        h.ssh_port,
        username="root",
        client_keys=[str(sim.dir / "id_ed25519")],
        known_hosts=str(sim.dir / "known_hosts"),
        agent_path=None,
        config=None,
        **kw,
    )


async def run_on(sim: Simulator, host: str, command: str, timeout: float = 5.0) -> asyncssh.SSHCompletedProcess:
    """Run one command on a simulated host (raises TimeoutError past `timeout`)."""
    async with await ssh_connect(sim, host) as conn:
        return await asyncio.wait_for(conn.run(command, check=False), timeout)
