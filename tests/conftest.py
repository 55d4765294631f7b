"""Shared fixtures: a simulated pool over real SSH on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import asyncssh
import pytest

from xentui.sim.server import Simulator
from xentui.sim.state import Timing

FAST = dict(fuse=0.3, boot=0.1, emergency_retry=2.0, reach_connect=0.01)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the real user's config, cache and data dirs."""
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("XENTUI_CONFIG", raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
async def sim_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Simulator]]]:
    """Start simulators; each is stopped at the end of the test.

    `await sim_factory(scenario="healthy", hosts=8, release="xcpng-8.2", **timing)`; timing keys are
    those of `Timing` (fuse, boot, emergency_retry, reach_connect).
    """
    started: list[Simulator] = []

    async def make(scenario: str = "healthy", hosts: int = 8, release: str = "xcpng-8.2", **timing: Any) -> Simulator:
        t = Timing(**{**FAST, **timing})
        sim = Simulator(tmp_path / f"sim{len(started)}", hosts=hosts, scenario=scenario, timing=t, release=release)
        started.append(sim)
        return await sim.start()

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(sim_factory: Callable[..., Awaitable[Simulator]]) -> Simulator:
    return await sim_factory()


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
    import asyncio

    async with await ssh_connect(sim, host) as conn:
        return await asyncio.wait_for(conn.run(command, check=False), timeout)
