"""A PoolEngine on a running simulator, with short waits (every wait is a setting)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from xentui.core.config import load_config
from xentui.diagnosis import Diagnosis
from xentui.engine.pool import PoolEngine
from xensim.server import Simulator

from .settings import ENGINE_FAST

__all__ = ["ENGINE_FAST", "engine_for", "probe_until", "until"]



def engine_for(sim: Simulator, **settings: Any) -> PoolEngine:
    """The engine of the simulator's pools.toml with `settings` (default `ENGINE_FAST`) over the file's."""
    config = load_config(sim.dir / "pools.toml")
    return PoolEngine(config.pools[0], config.settings.model_copy(update=settings or ENGINE_FAST))


async def until(engine: PoolEngine, check: Callable[[Diagnosis], bool], what: str, timeout: float = 20.0) -> Diagnosis:
    """Wait for a diagnosis that passes `check` (AssertionError naming the last verdict after `timeout` s)."""
    deadline = time.monotonic() + timeout
    d = engine.diagnose()
    while time.monotonic() < deadline:
        d = engine.diagnose()
        if check(d):
            return d
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: still {d.verdict}: {d.summary}")


async def probe_until(eng: PoolEngine, pred: Callable[[Diagnosis], bool], what: str, timeout: float = 10.0,
                      every: float = 0.1) -> Diagnosis:
    """Probe the whole pool every `every` s until its diagnosis passes `pred` (AssertionError naming the
    last verdict after `timeout` s): the engine's supervisors are not running, the test drives it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        d = await eng.probe_once()
        if pred(d):
            return d
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}; last: {d.verdict}: {d.summary}")
        await asyncio.sleep(every)
