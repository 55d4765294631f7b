"""Stopping the engine always ends: a swallowed cancellation must not keep a supervisor alive.

On Python 3.11 `asyncio.wait_for` can return instead of raising CancelledError
when what it waits for finishes in the same loop iteration as the cancel
(CPython gh-86296). The supervisors wait that way all the time; one that was
hit went on polling and `stop()` (and so the console's quit) waited for ever.
Seen as a test hanging until it was killed, about one full run in ten.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from helpers.settings import ENGINE_FAST
from xentui.core.config import load_config
from xentui.engine.pool import PoolEngine, cancel_until_done
from xentui.core.model import HostFacts

FAST = dict(ENGINE_FAST, poll_interval=0.05, toolstack_fuse=0.3)  # polls back to back


async def test_cancel_until_done_cancels_again_a_task_that_swallowed_the_first_cancel() -> None:
    cancels_seen = 0

    async def swallows_once() -> None:
        nonlocal cancels_seen
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancels_seen += 1  # as wait_for does when its inner future finished at the same moment
        await asyncio.sleep(30)

    async def ends_by_itself() -> None:
        return None

    tasks = [asyncio.create_task(swallows_once()), asyncio.create_task(ends_by_itself())]
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancel_until_done(tasks, again_after=0.05), 5)
    assert all(t.done() for t in tasks)
    assert cancels_seen == 1 and tasks[0].cancelled() and not tasks[1].cancelled()


async def test_stop_ends_even_when_a_supervisor_swallows_its_cancellation(sim_factory: Any) -> None:
    sim = await sim_factory()
    config = load_config(sim.dir / "pools.toml")
    engine = PoolEngine(config.pools[0], config.settings.model_copy(update=FAST), remember=False)
    real_probe = engine.probe_host
    swallowed: list[str] = []

    async def probe(name: str) -> HostFacts:
        try:
            return await real_probe(name)
        except asyncio.CancelledError:
            if name == "plot3" and not swallowed:
                swallowed.append(name)  # the cancel is lost here, as in gh-86296
                return HostFacts(name=name)
            raise

    engine.probe_host = probe  # type: ignore[method-assign]
    engine.start()
    await asyncio.sleep(0.5)  # every supervisor is inside a probe or between two
    try:
        for _ in range(50):  # plot3 must be cancelled inside a probe: stop and start until it is
            await asyncio.wait_for(engine.stop(), 5)
            if swallowed:
                break
            engine.start()
            await asyncio.sleep(random.uniform(0.0, 0.2))
    finally:
        await asyncio.wait_for(engine.stop(), 5)
    assert swallowed == ["plot3"]
    assert engine.facts["plot1"].reachable  # it was really polling over SSH


async def test_stop_at_any_moment_of_real_polling_ends_promptly(sim_factory: Any) -> None:
    sim = await sim_factory()
    config = load_config(sim.dir / "pools.toml")
    engine = PoolEngine(config.pools[0], config.settings.model_copy(update=FAST), remember=False)
    rng = random.Random(7)
    for _ in range(10):
        engine.start()
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        await asyncio.wait_for(engine.stop(), 5)
        assert engine._tasks == []
    assert len(engine.facts) == 8
