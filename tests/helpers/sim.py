"""Plain SSH to one simulated host (no engine): what an admin's own `ssh` would see."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import asyncssh

from xensim.server import Simulator

__all__ = ["SSH", "openssh", "run_on", "ssh_connect"]

#: the OpenSSH client, where the machine has one (tests that drive it skip without)
SSH = shutil.which("ssh")


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


async def openssh(sim: Simulator, host: str, *command: str, timeout: float = 15.0) -> tuple[int, bytes, bytes]:
    """Run `ssh -F <sim>/ssh_config HOST COMMAND` without blocking the simulator's loop."""
    assert SSH is not None
    proc = await asyncio.create_subprocess_exec(
        SSH, "-F", str(sim.dir / "ssh_config"),
        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
        host, *command,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, stdout, stderr
