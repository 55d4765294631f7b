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

