"""A stall guard for the event loop that does not blame the loop for the kernel's scheduling."""

from __future__ import annotations

import asyncio
import time


def _runqueue_wait() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux; 0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopStallWatch:
    """The event loop's worst stall: how late a 10 ms sleep returned, less the OS's share.

    A blocking call on the loop (or a thread of ours holding the GIL) makes the
    sleep late; so does the kernel giving the CPU to another process (the test
    suite runs several workers on 2 cores).  The time this thread waited in
    the run queue is not the loop's fault and is taken off; whatever remains
    is the stall the guards bound.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_raw = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            t, q = time.monotonic(), _runqueue_wait()
            await asyncio.sleep(0.01)
            late = time.monotonic() - t - 0.01
            self.worst_raw = max(self.worst_raw, late)
            self.worst = max(self.worst, late - (_runqueue_wait() - q))

    async def __aenter__(self) -> "LoopStallWatch":
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
