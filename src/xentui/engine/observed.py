"""One diagnosis per burst of facts, published once to every face.

A probe publishes about ten updates a host; diagnosing at each would cost the
event loop seconds a poll at 64 hosts, and diagnosing once per consumer would
let the console, the journal, `watch` and the exporter disagree for a moment.
So the engine notes each update (`BurstDiagnosis.note`) and, at most every
`diagnosis_interval` seconds (a setting), diagnoses the pool once and hands
the same typed event, `PoolObserved` — the facts as they were, which hosts
changed, the diagnosis and when — to every observer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from xentui.core.model import HostFacts
from xentui.diagnosis import Diagnosis, diagnose_pool

__all__ = ["BurstDiagnosis", "PoolObserved", "PoolObserver", "publish_fact"]


@dataclass(frozen=True)
class PoolObserved:
    """The pool as observed at one moment: what every face shows and records."""

    pool: str
    facts: Mapping[str, HostFacts]  # every host's facts then (a copy: later updates do not change it)
    changed: frozenset[str]  # the hosts whose facts arrived since the previous event
    diagnosis: Diagnosis
    at: float  # wall clock (time.time()) of the diagnosis


PoolObserver = Callable[[PoolObserved], None]


def publish_fact(
    f: HostFacts, facts: dict[str, HostFacts], listeners: list[Callable[[HostFacts], None]], observed: BurstDiagnosis,
    quiet: bool = False,
) -> None:
    """The one way a fact arrives (an engine's probe, a static source): stored, told to every
    listener, and noted for the next diagnosis."""
    facts[f.name] = f
    for listener in list(listeners):
        listener(f)
    observed.note(f, quiet=quiet)


class BurstDiagnosis:
    """Facts noted one by one; one diagnosis per burst, published to `observers`."""

    def __init__(self, pool: str, facts: dict[str, HostFacts], interval: float,
                 judge: Callable[[list[HostFacts]], Diagnosis] | None = None,
                 now: Callable[[], float] = time.time, quiet_interval: float | None = None) -> None:
        self.pool = pool
        self.facts = facts  # the owner's live dict: read at diagnosis time
        # the owner's diagnosis of a list of facts (its settings: the HA election margin...)
        self.judge = judge if judge is not None else (lambda fs: diagnose_pool(fs, pool=pool))
        self.interval = interval
        # updates that only re-confirm what was known (a watcher loop's heartbeat: the same values,
        # observed later) are diagnosed at most this often; any other update at `interval`
        self.quiet_interval = max(interval, quiet_interval or interval)
        self.now = now
        self.observers: list[PoolObserver] = []
        self.latest: PoolObserved | None = None
        self.count = 0  # diagnoses made (tests, the bench)
        self._changed: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_quiet = False
        self._last = float("-inf")  # monotonic time of the last diagnosis

    def note(self, facts: HostFacts, quiet: bool = False) -> None:
        """A host's facts changed: diagnose soon (at once without an event loop). `quiet`: they only
        re-confirm what was known; diagnosed within `quiet_interval`, or with the next real change."""
        self._changed.add(facts.name)
        if not self.observers:
            return
        if self._timer is not None and (quiet or not self._timer_quiet):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._timer is not None:  # a real change while only quiet updates were pending: sooner
            self._timer.cancel()
        wait = max(0.01, self._last + (self.quiet_interval if quiet else self.interval) - time.monotonic())
        self._timer, self._timer_quiet = loop.call_later(wait, self.flush), quiet

    def flush(self) -> PoolObserved | None:
        """Diagnose what was noted so far and publish it (None when nothing changed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._changed:
            return None
        changed, self._changed = frozenset(self._changed), set()
        self._last = time.monotonic()
        snapshot = dict(self.facts)
        event = PoolObserved(self.pool, snapshot, changed, self.judge(list(snapshot.values())), self.now())
        self.latest = event
        self.count += 1
        for observer in list(self.observers):
            observer(event)
        return event

    def close(self) -> None:
        """No more events (the engine stops): publish what is pending, then stop the timer."""
        self.flush()
