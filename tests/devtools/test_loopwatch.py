"""The stall measure itself: a blocking call counts, an await does not."""

from __future__ import annotations

import asyncio
import time

from xentui.devtools.loopwatch import LoopWatch, runqueue_wait


async def test_a_blocking_call_on_the_loop_is_a_stall() -> None:
    async with LoopWatch() as watch:
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # what the guards exist to catch
        await asyncio.sleep(0.05)
    assert watch.worst >= 0.25
    assert watch.stats()["own_max_ms"] >= 250 and watch.stats()["max_ms"] >= 250


async def test_awaiting_is_not_a_stall() -> None:
    async with LoopWatch() as watch:
        await asyncio.sleep(0.3)
    assert len(watch.late) >= 5
    assert watch.worst < 0.25


def test_runqueue_wait_never_goes_back() -> None:
    first = runqueue_wait()
    sum(range(200_000))
    assert runqueue_wait() >= first >= 0.0
