"""How late the event loop runs a due callback: the measure the benchmark and the stall guards share.

A task sleeps 10 ms again and again; each sleep's overshoot is how late a key
press would have been handled at that moment.  Two figures per sample:

* `late`: the overshoot as a user would feel it;
* `own`: the overshoot less the time the kernel kept the loop's thread
  waiting for a CPU (`/proc/thread-self/schedstat`, Linux; nothing is taken
  off elsewhere).  Neighbouring processes (the simulators, other test
  workers) do not count; a blocking call on the loop, or a thread of ours
  holding the GIL, still counts in full.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def runqueue_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where unknown)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopWatch:
    """Samples the loop's lateness while running: `with LoopWatch() as w:` or `async with`."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.late: list[float] = []
        self.own: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t, q = time.monotonic(), runqueue_wait()
            await asyncio.sleep(self.period)
            late = time.monotonic() - t - self.period
            self.late.append(late)
            self.own.append(late - (runqueue_wait() - q))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def __enter__(self) -> "LoopWatch":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> "LoopWatch":
        self.start()
        await asyncio.sleep(0)  # the first sample starts now
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    @property
    def worst(self) -> float:
        """The longest stall the loop itself caused, in seconds."""
        return max(self.own, default=0.0)

    def stats(self) -> dict[str, float]:
        late, own = sorted(self.late) or [0.0], sorted(self.own) or [0.0]

        def ms(values: list[float], q: float) -> float:
            return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 1)

        return {
            "p50_ms": ms(late, 0.50), "p99_ms": ms(late, 0.99), "max_ms": round(late[-1] * 1000, 1),
            "over_100ms": sum(1 for x in late if x > 0.1), "samples": len(self.late),
            "own_p99_ms": ms(own, 0.99), "own_max_ms": round(own[-1] * 1000, 1),
            "own_over_50ms": sum(1 for x in own if x > 0.05),
        }


# ---------------------------------------------------------------------------- fair waits
#
# A wait for a host's answer must not charge the host with the client's own lateness: when
# the event loop was blocked for a second (a sync call, a starved CPU), the answer may be
# sitting unread in the socket.  These waits count only the time the loop ran on time: each
# slice of the wait counts at most what was asked of it (plus a little), the overshoot is the
# client's, not the host's.

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
