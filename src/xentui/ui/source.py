"""Where the console's facts come from: a live `PoolEngine`, or a static set.

The console never talks to hosts itself.  It reads `HostFacts` and a
`Diagnosis` from a *fact source* and sends intents (refresh) to it.  Two
sources exist:

* `LiveSource` wraps a `PoolEngine` (one supervisor task per host);
* `StaticSource` holds recorded or constructed facts: the snapshot tests and
  the screenshots of fixed states use it, and tests push new facts with
  `publish()` to simulate arrivals.

Both publish one `PoolObserved` per burst of facts to `observed.observers`
(the facts then, which hosts changed, the diagnosis: engine/observed.py), the
same event the journal, `watch` and the exporter get; `listeners` still hear
each single `HostFacts` as it arrives.

A `LiveSource` shows the engine's facts as they are: while a probe runs,
the engine already publishes each update over what the last probe settled on
(`engine/carry.py`), so the console and `xentui status` show the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from xentui.core.config import Settings
from xentui.diagnosis import Diagnosis, diagnose_pool
from xentui.engine.observed import BurstDiagnosis, publish_fact
from xentui.engine.pool import PoolEngine
from xentui.core.model import CommandResult
from xentui.trail.journal import EventStream, Journal, journal_path
from xentui.core.model import HostFacts

__all__ = ["FactSource", "LiveSource", "StaticSource"]

FactsListener = Callable[[HostFacts], None]


@runtime_checkable
class FactSource(Protocol):
    """What the console needs from a pool: facts, a diagnosis, a refresh."""

    name: str
    settings: Settings
    listeners: list[FactsListener]
    observed: BurstDiagnosis

    @property
    def facts(self) -> dict[str, HostFacts]: ...

    @property
    def engine(self) -> PoolEngine | None: ...

    @property
    def live(self) -> bool: ...

    def start(self) -> None: ...

    def refresh(self, name: str | None = None) -> None: ...

    def diagnose(self) -> Diagnosis: ...

    def recent(self, host: str) -> list[CommandResult]: ...

    async def stop(self) -> None: ...


# --------------------------------------------------------------------------- sources


class LiveSource:
    """A `PoolEngine`'s facts and diagnosis, and its refresh."""

    live = True

    def __init__(self, engine: PoolEngine) -> None:
        self.name = engine.pool.name
        self.pool = engine.pool
        self.settings = engine.settings
        self._engine = engine
        self.listeners: list[FactsListener] = []
        self._engine.listeners.append(self._arrive)
        self.observed = engine.observed
        # the incident journal: the same events `xentui watch` prints, beside the audit file
        self.events = EventStream(self.name)
        self.events.sinks.append(Journal(journal_path(self.settings.audit_path, self.name)).append)
        self.observed.observers.append(self.events.on_observed)

    @property
    def engine(self) -> PoolEngine:
        return self._engine

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self._engine.facts

    def _arrive(self, facts: HostFacts) -> None:
        for listener in list(self.listeners):
            listener(facts)

    def start(self) -> None:
        self._engine.start()

    def refresh(self, name: str | None = None) -> None:
        self._engine.refresh(name)

    def diagnose(self) -> Diagnosis:
        return self._engine.diagnose()

    def recent(self, host: str) -> list[CommandResult]:
        activity = self._engine.activity.get(host)
        return list(activity.recent) if activity is not None else []

    async def stop(self) -> None:
        await self._engine.stop()  # its last observation reaches the journal


class StaticSource:
    """Facts given up front (recorded or constructed); `publish` adds more."""

    live = False

    def __init__(
        self,
        name: str,
        facts: Iterable[HostFacts],
        settings: Settings | None = None,
        activity: dict[str, list[CommandResult]] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or Settings()
        self._facts: dict[str, HostFacts] = {f.name: f for f in facts}
        self.activity: dict[str, list[CommandResult]] = {k: list(v) for k, v in (activity or {}).items()}
        self.listeners: list[FactsListener] = []
        self.observed = BurstDiagnosis(name, self._facts, self.settings.diagnosis_interval, judge=self._judge)
        self.refreshes = 0
        self.started = False

    @property
    def engine(self) -> None:
        return None

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self._facts

    def publish(self, facts: HostFacts) -> None:
        """A fact arrives (as from a probe): stored, told to the listeners, observed."""
        publish_fact(facts, self._facts, self.listeners, self.observed)

    def start(self) -> None:
        """The facts given up front are the first observation."""
        self.started = True
        for f in self._facts.values():
            self.observed.note(f)

    def refresh(self, name: str | None = None) -> None:
        """Count the refresh and re-publish the facts (the same values)."""
        self.refreshes += 1
        for f in list(self._facts.values()):
            if name is None or f.name == name:
                self.publish(f)

    def diagnose(self) -> Diagnosis:
        return self._judge(list(self._facts.values()))

    def _judge(self, facts: list[HostFacts]) -> Diagnosis:
        return diagnose_pool(facts, pool=self.name, ha_margin=self.settings.ha_election_margin)

    def recent(self, host: str) -> list[CommandResult]:
        return list(self.activity.get(host, []))

    async def stop(self) -> None:
        self.started = False
