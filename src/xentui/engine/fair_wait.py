"""Waits that charge a host only with its own slowness, never the client's.

A wait for a host's answer must not charge the host with the client's own lateness: when the event
loop was blocked for a second (a sync call, a starved CPU), the answer may be sitting unread in the
socket.  These waits count only the time the loop ran on time: each slice of the wait counts at most
what was asked of it (plus a little), the overshoot is the client's, not the host's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")

_SLICE_TOLERANCE = 0.02


async def fair_sleep(seconds: float, slice_: float | None = None) -> float:
    """Sleep until `seconds` of on-time loop progress have passed; returns the wall time taken."""
    step = slice_ or max(0.05, seconds / 8)
    charged, began = 0.0, time.monotonic()
    while charged < seconds - 1e-6:
        want = min(step, seconds - charged)
        t = time.monotonic()
        await asyncio.sleep(want)
        charged += min(time.monotonic() - t, want + _SLICE_TOLERANCE)
    return time.monotonic() - began


async def fair_wait_for(aw: "asyncio.Future[T] | Coroutine[Any, Any, T]", timeout: float) -> T:
    """`asyncio.wait_for`, with the loop's own lateness left out of `timeout` (see above).

    Raises TimeoutError (the inner awaitable cancelled and awaited, as `wait_for` does).
    """
    task = asyncio.ensure_future(aw)
    step = max(0.05, timeout / 8)
    charged = 0.0
    try:
        while True:
            want = max(0.0, min(step, timeout - charged))
            t = time.monotonic()
            done, _ = await asyncio.wait({task}, timeout=want)
            if done:
                return task.result()
            charged += min(time.monotonic() - t, want + _SLICE_TOLERANCE)
            if charged >= timeout - 1e-6:
                for _ in range(3):  # an answer already received is read before the verdict
                    await asyncio.sleep(0)
                if task.done():
                    return task.result()
                raise asyncio.TimeoutError
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except BaseException:  # its cancellation (or failure) is not ours to report
                pass
