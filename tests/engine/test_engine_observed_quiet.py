"""Heartbeats are diagnosed at a slower pace than changes (engine/observed.py, issue 24).

A watcher loop re-confirms every host's facts once a second; diagnosing each burst of those
at the change pace (0.2 s) was most of the engine's CPU at 64 hosts. A quiet update waits for
`quiet_interval`; a real change still goes out at `interval`, taking the quiet ones with it.
"""

from __future__ import annotations

import asyncio
import time

from xentui.core.model import HostFacts
from xentui.engine.observed import BurstDiagnosis


async def test_quiet_updates_wait_longer_and_a_change_brings_them_forward() -> None:
    facts = {n: HostFacts(name=n, address=n) for n in ("a", "b")}
    burst = BurstDiagnosis("p", facts, interval=0.05, quiet_interval=0.6)
    seen: list[tuple[float, frozenset[str]]] = []
    burst.observers.append(lambda ev: seen.append((time.monotonic(), ev.changed)))
    burst.note(facts["b"])  # the first diagnosis: at once
    await asyncio.sleep(0.1)
    assert len(seen) == 1
    t0 = time.monotonic()
    burst.note(facts["a"], quiet=True)
    await asyncio.sleep(0.3)
    assert len(seen) == 1  # a heartbeat alone: not yet
    burst.note(facts["b"])  # a change: soon, with the heartbeat's host
    await asyncio.sleep(0.2)
    assert len(seen) == 2 and seen[1][1] == frozenset({"a", "b"}) and seen[1][0] - t0 < 0.5
    burst.note(facts["a"], quiet=True)
    await asyncio.sleep(0.3)
    assert len(seen) == 2
    await asyncio.sleep(0.6)
    assert len(seen) == 3 and seen[2][1] == frozenset({"a"})
    burst.close()
