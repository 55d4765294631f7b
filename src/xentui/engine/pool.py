"""Every host of a pool at once: sessions, probes and the supervisor tasks.

`PoolEngine` turns a pool's config into one `HostSession` per host and runs
one supervisor task per host (`watch`), or a single concurrent probe of all
of them (`probe_once`).  Facts are published per host as they arrive; the
diagnosis is recomputed from the latest facts of every host.  Connection
attempts are capped by a semaphore so 64+ hosts on 2 cores do not starve the
event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import platformdirs

from xentui.core.config import HostEntry, PoolConfig, Settings
from xentui.diagnosis import Diagnosis, diagnose_pool
from xentui.core.model import HostFacts, Role, Source, SshState
from xentui.engine.observed import BurstDiagnosis, publish_fact
from xentui.engine.bmc import PoolPower
from xentui.engine.carry import carry_forward
from xentui.engine.probe import ProbeTimeouts, probe_host
from xentui.engine.secrets import hold_password, pool_password
from xentui.core.model import CommandResult
from xentui.engine.sessions import HostSession, HostTarget
from xentui.engine.watcher import HostWatch, StreamEnd
from xentui.engine.xenapi_login import xenapi_logout

FactsListener = Callable[[HostFacts], None]


def targets_for(pool: PoolConfig, password: str | None = None) -> list[HostTarget]:
    return [
        HostTarget(
            name=entry.name,
            host=entry.host,
            port=entry.port or pool.port,
            user=pool.user,
            identity=pool.identity,
            known_hosts=pool.known_hosts,
            ssh_config=pool.ssh_config,
            password=password,
        )
        for entry in pool.hosts
    ]


@dataclass
class HostActivity:
    """The last commands run on one host (for the host pane)."""

    recent: deque[CommandResult] = field(default_factory=lambda: deque(maxlen=20))


class PoolEngine:
    """Sessions, facts and diagnosis for one pool."""

    def __init__(
        self,
        pool: PoolConfig,
        settings: Settings,
        password: str | None = None,
        on_command: Callable[[CommandResult], None] | None = None,
        remember: bool = True,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.password = password if password is not None else pool_password(pool)
        self.limiter = asyncio.Semaphore(settings.max_concurrency)
        self.config_turns = asyncio.Lock()  # one host's ssh_config parse at a time (see HostSession)
        self.on_command = on_command
        self.activity: dict[str, HostActivity] = {}
        self.sessions: dict[str, HostSession] = {}
        for target in targets_for(pool, self.password):
            self.activity[target.name] = HostActivity()
            self.sessions[target.name] = HostSession(
                target,
                connect_timeout=settings.connect_timeout,
                keepalive_interval=settings.keepalive_interval,
                on_command=self._record,
                limiter=self.limiter,
                config_turns=self.config_turns,
            )
        self.facts: dict[str, HostFacts] = {
            name: HostFacts(name=s.target.name, address=s.target.host, port=s.target.port)
            for name, s in self.sessions.items()
        }
        self.address_book = AddressBook(address_book_path(pool.name) if remember else None)
        for name, seed in self.address_book.load().items():
            if name in self.facts:
                self.facts[name] = seed
        self.listeners: list[FactsListener] = []
        # one diagnosis per burst of facts, the same event for every face (subscribe to .observers)
        self.observed = BurstDiagnosis(pool.name, self.facts, settings.diagnosis_interval, judge=self.diagnose_facts,
                                       quiet_interval=settings.watch_period)
        # out-of-band power (engine/bmc.py): each reading or attestation is published with the host's facts
        self.power = PoolPower(pool, settings)
        self.power.listeners.append(lambda host: self.publish(self.facts[host]) if host in self.facts else None)
        self._refresh: dict[str, asyncio.Event] = {name: asyncio.Event() for name in self.sessions}
        self._tasks: list[asyncio.Task[None]] = []
        self._power_reads: dict[str, asyncio.Task[object]] = {}
        # the watcher loop of each host while the supervisors run with settings.watch_stream
        self.watches: dict[str, HostWatch] = {}

    def add_host(self, entry: HostEntry) -> HostFacts:
        """Start watching one more host (a host that just joined): its session, its facts row,
        and — when the supervisors run — its supervisor. Returns its (not yet probed) facts."""
        if entry.name in self.sessions:
            return self.facts[entry.name]
        [target] = targets_for(self.pool.model_copy(update={"hosts": (entry,)}), self.password)
        self.pool = self.pool.model_copy(update={"hosts": (*self.pool.hosts, entry)})
        self.activity[target.name] = HostActivity()
        self.sessions[target.name] = HostSession(
            target,
            connect_timeout=self.settings.connect_timeout,
            keepalive_interval=self.settings.keepalive_interval,
            on_command=self._record,
            limiter=self.limiter,
            config_turns=self.config_turns,
        )
        self._refresh[target.name] = asyncio.Event()
        self.publish(HostFacts(name=target.name, address=target.host, port=target.port))
        if self._tasks:
            self._tasks.append(asyncio.create_task(self._supervise(target.name), name=f"supervise:{target.name}"))
        return self.facts[target.name]

    @property
    def needs_password(self) -> bool:
        """No password held and a host refused every other way in (as ssh would ask now)."""
        return not self.password and any(f.ssh is SshState.AUTH_FAILED for f in self.facts.values())

    def use_password(self, password: str) -> None:
        """Log in with *password* from now on (memory only); failed hosts retry at once."""
        self.password = password
        for session in self.sessions.values():
            session.use_password(password)
        self.refresh()

    @property
    def timeouts(self) -> ProbeTimeouts:
        s = self.settings
        return ProbeTimeouts(connect=s.connect_timeout, command=s.command_timeout, reach=s.reach_timeout)

    def _record(self, result: CommandResult) -> None:
        self.activity.setdefault(result.host, HostActivity()).recent.append(result)
        if self.on_command is not None:
            self.on_command(result)

    # ------------------------------------------------------------------ facts
    def publish(self, facts: HostFacts, quiet: bool = False) -> None:
        """`facts` are now what the engine knows of that host: stored, and told to every listener.

        With the host's watcher loop running, what the loop observed later than these facts
        stands over them (`HostWatch.overlay`); the BMC's last reading and an attestation
        travel with them. `quiet`: a heartbeat that confirms nothing new (diagnosed less often)."""
        watch = self.watches.get(facts.name)
        if watch is not None:
            facts = watch.overlay(facts)
        power = getattr(self, "power", None)
        if power is not None:
            reading, attested = power.readings.get(facts.name), power.attestations.get(facts.name)
            if (reading, attested) != (facts.power, facts.off_attested):
                facts = facts.model_copy(update={"power": reading, "off_attested": attested})
        publish_fact(facts, self.facts, self.listeners, self.observed, quiet=quiet)

    def diagnose(self) -> Diagnosis:
        return self.diagnose_facts(list(self.facts.values()))

    def diagnose_facts(self, facts: list[HostFacts]) -> Diagnosis:
        """This pool's diagnosis of these facts, with its settings (the HA election margin)."""
        return diagnose_pool(facts, pool=self.pool.name, ha_margin=self.settings.ha_election_margin)

    # ------------------------------------------------------------------ one probe of everything
    async def probe_once(
        self, on_update: FactsListener | None = None, ask_password: Callable[[], Awaitable[str | None]] | None = None
    ) -> Diagnosis:
        """Probe every host concurrently; bounded by connect + command timeouts.

        When a host refused every way in and no password is held, `ask_password`
        (if given) is asked once, as ssh asks, and the hosts are probed again.
        """
        if on_update is not None:
            self.listeners.append(on_update)
        try:
            await asyncio.gather(*(self.probe_host(name) for name in self.sessions))
            await self.read_power()
            if ask_password is not None and self.needs_password:
                password = await ask_password()
                if password:
                    hold_password(self.pool.name, password)
                    self.use_password(password)
                    refused = [n for n, f in self.facts.items() if f.ssh is SshState.AUTH_FAILED]
                    await asyncio.gather(*(self.probe_host(name) for name in refused))
        finally:
            if on_update is not None:
                self.listeners.remove(on_update)
        return self.diagnose()

    async def probe_host(self, name: str) -> HostFacts:
        settled = self.facts.get(name)  # what the last complete probe (or the address book) said

        def partial(f: HostFacts) -> None:
            self.publish(carry_forward(settled, f, complete=False))

        hint = settled.master_address if settled is not None else None
        self._read_power(name)
        facts = await probe_host(
            self.sessions[name], self.timeouts, on_update=partial, password=self.password, master_hint=hint
        )
        self.publish(carry_forward(settled, facts, complete=True))  # what it could not learn: stale or unknown
        if facts.reachable and (facts.uuid or facts.own_addresses):
            self.address_book.remember(facts)
        return facts

    def _read_power(self, name: str) -> None:
        """The BMC beside SSH: its own task and timeout (it publishes the host's facts when it has read),
        so a BMC that does not answer never slows the probe; one read per host in flight."""
        if name not in self.power.hosts:
            return
        running = self._power_reads.get(name)
        if running is not None and not running.done():
            return
        self._power_reads[name] = asyncio.create_task(self.power.read(name), name=f"power:{name}")

    async def read_power(self) -> None:
        """Wait for the BMC reads in flight (a one-shot command prints them with the probe)."""
        await asyncio.gather(*(t for t in self._power_reads.values() if not t.done()), return_exceptions=True)

    # ------------------------------------------------------------------ supervisors (the console)
    def start(self) -> None:
        """One supervisor task per host: its watcher loop (settings.watch_stream), else probe, wait
        poll_interval (or a refresh), repeat."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._supervise(name), name=f"supervise:{name}") for name in self.sessions]

    def refresh(self, name: str | None = None) -> None:
        for n, event in self._refresh.items():
            if name is None or n == name:
                event.set()

    async def _supervise(self, name: str) -> None:
        if self.settings.watch_stream:
            await self._follow(name)
        await self._poll(name)

    def _watch_for(self, name: str) -> HostWatch:
        if name not in self.watches:
            def republish(quiet: bool = False) -> None:
                self.publish(self.watches[name].stream_facts(self.facts[name]), quiet=quiet)

            self.watches[name] = HostWatch(self.sessions[name], self.settings, republish,
                                           lambda: self._stream_changed(name))
        return self.watches[name]

    def _stream_changed(self, name: str) -> None:
        """A host's loop reported a change: its reads are due; a master's change is every host's
        (its slaves' `xe pool-list` is what says whether its toolstack still serves them)."""
        f = self.facts.get(name)
        self.refresh(None if f is not None and f.role is Role.MASTER else name)

    async def _follow(self, name: str) -> None:
        """Follow one host through its watcher loop; return when the loop cannot run there (then it
        is polled). The xe / XenAPI reads (the probe) run first, whenever the loop reports a
        change or the operator refreshes, and every watch_read_interval."""
        session = self.sessions[name]
        watch = self._watch_for(name)
        while True:
            await self._probe_guarded(name)
            if not self.facts[name].reachable:
                await self._pause(name, self.settings.poll_interval)
                continue
            reads = asyncio.create_task(self._reads(name), name=f"reads:{name}")
            try:
                end = await watch.run()
            finally:
                reads.cancel()
                try:
                    await reads
                except BaseException:
                    pass
            if end is StreamEnd.CANNOT_RUN:
                return
            # lost: the next probe reconnects (and says why it could not); a moment first (longer when
            # connecting keeps failing), so a loop that keeps ending never spins
            delay = self.settings.watch_period
            if session.failures:
                delay = max(delay, session.backoff(self.settings.reconnect_backoff_min,
                                                   self.settings.reconnect_backoff_max))
            await self._pause(name, delay)

    def _read_interval(self, name: str) -> float:
        """How long a streamed host's reads may wait: the slow cadence, but the poll interval where HA
        is configured: its daemon's liveset and the election it runs are not in the loop's stream."""
        f = self.facts.get(name)
        ha = f is not None and (bool(f.ha_armed) or "ha_config" in f.sources)
        return self.settings.poll_interval if ha else self.settings.watch_read_interval

    async def _reads(self, name: str) -> None:
        while True:
            await self._pause(name, self._read_interval(name))
            await self._probe_guarded(name)

    async def _pause(self, name: str, delay: float) -> None:
        event = self._refresh[name]
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), delay)
        except (asyncio.TimeoutError, TimeoutError):
            pass

    async def _probe_guarded(self, name: str) -> None:
        session = self.sessions[name]
        try:
            await self.probe_host(name)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug in one probe must not end the host's supervisor
            f = HostFacts(name=name, address=session.target.host, ssh_error=f"{name}: probe failed: {e}")
            self.publish(carry_forward(self.facts.get(name), f, complete=True))

    async def _poll(self, name: str) -> None:
        session = self.sessions[name]
        while True:
            await self._probe_guarded(name)
            delay = self.settings.poll_interval
            if session.failures:
                delay = min(delay, session.backoff(self.settings.reconnect_backoff_min, self.settings.reconnect_backoff_max))
            await self._pause(name, delay)

    async def stop(self) -> None:
        await cancel_until_done(self._tasks + list(self._power_reads.values()))  # type: ignore[operator]
        self._tasks = []
        self.observed.close()  # the last facts reach every observer
        self._power_reads = {}
        # the XenAPI sessions held on masters between polls: ended, each within the reach timeout
        await asyncio.gather(*(xenapi_logout(s.conn, self.settings.reach_timeout) for s in self.sessions.values()))
        await asyncio.gather(*(s.close() for s in self.sessions.values()))


async def cancel_until_done(tasks: list[asyncio.Task[None]], again_after: float = 0.5) -> None:
    """Cancel `tasks` and wait until every one has ended, cancelling again if need be.

    One cancel is not always enough: on Python 3.11 `asyncio.wait_for` returns
    the inner result instead of raising CancelledError when the inner awaitable
    finished in the same loop iteration as the cancel (CPython gh-86296, fixed
    in 3.12). A supervisor hit that way went on polling, and a plain
    `gather` after `cancel` waited for it for ever: the console never quit.
    """
    pending = {t for t in tasks if not t.done()}
    while pending:
        for t in pending:
            t.cancel()
        _, pending = await asyncio.wait(pending, timeout=again_after)
    for t in tasks:
        if not t.cancelled():
            t.exception()  # retrieved: a crash is not logged again as "never retrieved"


def address_book_path(pool: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in pool) or "pool"
    return Path(platformdirs.user_cache_dir("xentui")) / "pools" / f"{safe}.json"


class AddressBook:
    """What the jump box last saw of each host: UUID, hostname, own addresses.

    When a master is down, its slaves still point at its management address;
    this remembered view lets the diagnosis name the host behind that
    address (shown as stale) instead of a bare IP.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, object]] = {}

    def load(self) -> dict[str, HostFacts]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        seeds: dict[str, HostFacts] = {}
        for name, e in data.items() if isinstance(data, dict) else []:
            try:
                f = HostFacts(
                    name=name,
                    address=str(e["address"]),
                    uuid=e.get("uuid"),
                    hostname=e.get("hostname"),
                    own_addresses=list(e.get("own_addresses") or []),
                    master_address=e.get("master_address"),
                )
            except (KeyError, TypeError, ValueError):
                continue
            at = float(e.get("at") or 0)
            for field_name in ("uuid", "hostname", "own_addresses", "master_address"):
                f.sources[field_name] = Source(how="remembered from an earlier probe", at=at, stale=True)
            self.entries[name] = e
            seeds[name] = f
        return seeds

    def remember(self, facts: HostFacts) -> None:
        if self.path is None:
            return
        entry = {
            "address": facts.address,
            "uuid": facts.uuid,
            "hostname": facts.hostname,
            "own_addresses": facts.own_addresses,
            "master_address": facts.master_address,
            "at": facts.probed_at or time.time(),
        }
        known = self.entries.get(facts.name, {})
        if all(known.get(k) == entry[k] for k in ("own_addresses", "uuid", "master_address")):
            return
        self.entries[facts.name] = entry
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries, indent=1))
            tmp.replace(self.path)
        except OSError:
            pass  # a cache, never a reason to fail a probe
