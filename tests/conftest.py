"""Shared fixtures: a simulated pool over real SSH on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest

from helpers.settings import SIM_TIMING
from xensim.server import Simulator
from xensim.state import Timing

FAST = SIM_TIMING


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
        # keys that are not Timing's are the Simulator's own options (bmc=True, vms=…)
        options = {k: timing.pop(k) for k in list(timing) if k not in Timing.__dataclass_fields__}
        t = Timing(**{**FAST, **timing})
        sim = Simulator(tmp_path / f"sim{len(started)}", hosts=hosts, scenario=scenario, timing=t, release=release,
                        **options)
        started.append(sim)
        return await sim.start()

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(sim_factory: Callable[..., Awaitable[Simulator]]) -> Simulator:
    return await sim_factory()
