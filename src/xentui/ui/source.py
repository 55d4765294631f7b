"""Where the console's facts come from: a live `PoolEngine`, or a static set.

The console never talks to hosts itself.  It reads `HostFacts` and a
`Diagnosis` from a *fact source* and sends intents (refresh) to it.  Two
sources exist:

* `LiveSource` wraps a `PoolEngine` (one supervisor task per host);
* `StaticSource` holds recorded or constructed facts: the snapshot tests and
  the screenshots of fixed states use it, and tests push new facts with
  `publish()` to simulate arrivals.

Both call every callable in `listeners` with each new `HostFacts` (in the
event loop's thread) and diagnose with the pure `diagnose_pool`.

Pending values (`merge_pending`)
--------------------------------
A probe publishes a fresh `HostFacts` as each of its signals arrives, so the
first update of every poll knows only the SSH state.  Shown as is, every row
would blank out and the verdict would flicker to *degraded* once per poll
(measured: ~14 % of the time on a healthy 8-host pool).  `LiveSource`
therefore overlays, on a reachable host whose probe is still running, the
values the previous probe learned for the fields this probe has not learned
yet (their `Source` keeps its original time, so the age shows it).  File facts
the probe *failed* to read (the files command timed out on a reachable host)
are carried too, marked stale, as are the file facts of an unreachable host
(the engine does that only from its own last facts, which may already have
lost them to a timed-out files command).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from ..config import PoolConfig, Settings
from ..diagnosis import Diagnosis, diagnose_pool
from ..engine.pool import PoolEngine
from ..engine.sessions import CommandResult
from ..model import HostFacts, Role, Source

__all__ = ["FactSource", "LiveSource", "StaticSource", "merge_pending"]

FactsListener = Callable[[HostFacts], None]


@runtime_checkable
class FactSource(Protocol):
    """What the console needs from a pool: facts, a diagnosis, a refresh."""

    name: str
    settings: Settings
    listeners: list[FactsListener]

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


# --------------------------------------------------------------------------- merging

# source key -> the HostFacts fields it vouches for
_FILE_GROUPS: dict[str, tuple[str, ...]] = {
    "role": ("role", "pool_conf_raw", "master_address"),
    "uuid": ("uuid", "product_brand", "product_version"),
    "hostname": ("hostname",),
    "db_generation": ("db_generation",),
    "own_addresses": ("own_addresses",),
    "files": ("latency_ms",),
}
_TOOLSTACK_GROUPS: dict[str, tuple[str, ...]] = {
    "xapi": ("xapi", "xapi_detail", "xapi_master_address", "forwarding"),
    "emergency_mode": ("emergency_mode", "emergency_error"),
    "pool_list": ("pool_list", "pool_list_error", "pool_master_uuid", "ha_enabled"),
}
_REACH = ("reaches_master", "reaches_master_detail")


def _carry(previous: HostFacts, new: HostFacts, key: str, fields: Sequence[str], stale: bool) -> None:
    src = previous.sources.get(key)
    if src is None or key in new.sources:
        return
    for name in fields:
        setattr(new, name, getattr(previous, name))
    new.sources[key] = Source(how=src.how, at=src.at, stale=stale or src.stale)


def merge_pending(previous: HostFacts | None, new: HostFacts) -> HostFacts:
    """`new`, with what `previous` knew for the fields `new`'s probe has not learned yet.

    For an unreachable host only the file facts are carried (stale), as the
    engine does; its toolstack values are not, they would claim an answer
    nobody got.  Returns `new` itself or a merged copy; never mutates its
    arguments.
    """
    if previous is None or previous.name != new.name:
        return new
    merged = new.model_copy(deep=True)
    if not new.reachable:
        for key, fields in _FILE_GROUPS.items():
            if key != "files":
                _carry(previous, merged, key, fields, stale=True)
        return merged
    files_failed = "files_error" in new.sources
    files_done = "files" in new.sources
    if not files_done:
        for key, fields in _FILE_GROUPS.items():
            _carry(previous, merged, key, fields, stale=files_failed)
    for key, fields in _TOOLSTACK_GROUPS.items():
        _carry(previous, merged, key, fields, stale=False)
    if merged.role is Role.SLAVE and merged.reaches_master_detail is None:
        _carry(previous, merged, "reaches_master", _REACH, stale=False)
    return merged


# --------------------------------------------------------------------------- sources


class LiveSource:
    """A `PoolEngine`, with pending values merged (see the module docstring)."""

    live = True

    def __init__(
        self,
        pool: PoolConfig,
        settings: Settings,
        password: str | None = None,
        on_command: Callable[[CommandResult], None] | None = None,
    ) -> None:
        self.name = pool.name
        self.pool = pool
        self.settings = settings
        self._engine = PoolEngine(pool, settings, password=password, on_command=on_command)
        self._facts: dict[str, HostFacts] = dict(self._engine.facts)
        self.listeners: list[FactsListener] = []
        self._engine.listeners.append(self._arrive)

    @property
    def engine(self) -> PoolEngine:
        return self._engine

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self._facts

    def _arrive(self, facts: HostFacts) -> None:
        merged = merge_pending(self._facts.get(facts.name), facts)
        self._facts[facts.name] = merged
        for listener in list(self.listeners):
            listener(merged)

    def start(self) -> None:
        self._engine.start()

    def refresh(self, name: str | None = None) -> None:
        self._engine.refresh(name)

    def diagnose(self) -> Diagnosis:
        return diagnose_pool(list(self._facts.values()), pool=self.name)

    def recent(self, host: str) -> list[CommandResult]:
        activity = self._engine.activity.get(host)
        return list(activity.recent) if activity is not None else []

    async def stop(self) -> None:
        await self._engine.stop()


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
        self.refreshes = 0
        self.started = False

    @property
    def engine(self) -> None:
        return None

    @property
    def facts(self) -> dict[str, HostFacts]:
        return self._facts

    def publish(self, facts: HostFacts) -> None:
        """A fact arrives (as from a probe): store it and tell the listeners."""
        self._facts[facts.name] = facts
        for listener in list(self.listeners):
            listener(facts)

    def start(self) -> None:
        self.started = True

    def refresh(self, name: str | None = None) -> None:
        """Count the refresh and re-publish the facts (the same values)."""
        self.refreshes += 1
        for f in list(self._facts.values()):
            if name is None or f.name == name:
                self.publish(f)

    def diagnose(self) -> Diagnosis:
        return diagnose_pool(list(self._facts.values()), pool=self.name)

    def recent(self, host: str) -> list[CommandResult]:
        return list(self.activity.get(host, []))

    async def stop(self) -> None:
        self.started = False
