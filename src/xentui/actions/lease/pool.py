"""The pool's lease over the engine's sessions: read, acquire, renew, release (see record.py for the protocol).

`PoolLease.acquire(plan_title, touched)` takes the lease host by host in name
order (so two clients that reach the same hosts meet on the first one and one
of them stops there, having taken nothing), and holds only when it holds on a
majority of the reachable hosts and on every host the plan touches; else it
gives back what it took and raises `LeaseRefused`, naming the holder.

* a live lease of someone else refuses, unless `take_over(record)` (a typed
  confirmation) says yes: then it is taken over, and audited as such;
* a stale lease (past its expiry) is taken over without asking, audited;
* a directory without a holder (a client between its `mkdir` and its write,
  or one that died there) is read again after `grace` seconds and taken if
  still empty.

Taking a free lease and giving it back are routine and not audited (the plan's
commands are); taking over a stale, abandoned or live lease, and losing ours, are.

While a plan runs, `keep()` renews every `ttl / 3` seconds; a renewal that
finds the lease gone or replaced on a host sets `lost` (the runner stops
before its next step).  `release()` removes only our own holder file.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from xentui.trail.audit import operator_login
from xentui.core.model import SshState

from xentui.actions.lease.record import (
    HostLease,
    LeaseRecord,
    LeaseState,
    parse_listing,
    read_command,
    release_command,
    renew_command,
    take_command,
    take_over_command,
)

if TYPE_CHECKING:
    from xentui.trail.audit import AuditLog
    from xentui.engine.pool import PoolEngine

__all__ = ["LeaseRefused", "LeaseView", "PoolLease", "TakeOverFn", "lease_of_others", "read_pool_lease"]

TakeOverFn = Callable[[LeaseRecord], Awaitable[bool] | bool]


class LeaseRefused(Exception):
    """The lease could not be held; `holder` is the record in the way, if one is."""

    def __init__(self, message: str, holder: LeaseRecord | None = None) -> None:
        super().__init__(message)
        self.holder = holder


def describe(record: LeaseRecord, now: float) -> str:
    """`alice@jump1 (plan 'Promote plot2…', since 07:01:02 UTC, expires in 40 s)` — stale says so."""
    since = time.strftime("%H:%M:%S UTC", time.gmtime(record.started))
    left = record.expires - now
    tail = f"expired {-left:.0f} s ago: stale, may be taken" if left <= 0 else f"expires in {left:.0f} s"
    return f"{record.who()} (plan {record.plan!r}, since {since}, {tail})"


class LeaseView:
    """The lease as read from every host at one moment."""

    def __init__(self, hosts: dict[str, HostLease], now: float) -> None:
        self.hosts = hosts
        self.now = now

    def holders(self) -> dict[str, LeaseRecord]:
        """token -> record, for each distinct holder seen."""
        out: dict[str, LeaseRecord] = {}
        for h in self.hosts.values():
            if h.record is not None:
                out.setdefault(h.record.token, h.record)
        return out

    def others(self, mine: str | None = None) -> list[tuple[LeaseRecord, list[str]]]:
        """Each holder other than `mine`, with the hosts it holds."""
        out = []
        for token, rec in self.holders().items():
            if token == mine:
                continue
            out.append((rec, sorted(n for n, h in self.hosts.items() if h.token == token)))
        return out

    def summary(self, mine: str | None = None) -> str | None:
        """One line per other holder, or None when nobody else holds the pool."""
        lines = []
        for rec, hosts in self.others(mine):
            state = "STALE lease" if rec.stale(self.now) else "LEASE held"
            lines.append(f"{state} by {describe(rec, self.now)} on {len(hosts)} of {len(self.hosts)} hosts")
        return "; ".join(lines) or None

    def json(self, mine: str | None = None) -> list[dict[str, Any]]:
        return [
            {**rec.model_dump(mode="json"), "stale": rec.stale(self.now), "hosts": hosts}
            for rec, hosts in self.others(mine)
        ]


def lease_of_others(view: LeaseView, mine: str | None = None) -> LeaseRecord | None:
    """The live lease of someone else, if any (the one that blocks a plan)."""
    for rec, _hosts in view.others(mine):
        if not rec.stale(view.now):
            return rec
    return None


def _reachable(engine: PoolEngine) -> list[str]:
    """Hosts with a working session, or never tried yet (an engine not probed yet still asks them)."""
    return sorted(
        n for n, f in engine.facts.items() if n in engine.sessions and (f.reachable or f.ssh is SshState.UNKNOWN)
    )


async def _read_host(engine: PoolEngine, name: str, timeout: float) -> HostLease:
    cr = await engine.sessions[name].run(read_command(), timeout, record=False)
    now = time.time()
    if not cr.ok:
        why = cr.error or ("timeout" if cr.timed_out else (cr.stderr.strip().splitlines() or [f"exit {cr.exit_status}"])[0])
        return HostLease(host=name, state=LeaseState.UNKNOWN, error=why, read_at=now)
    return parse_listing(name, cr.stdout, now)


async def read_pool_lease(engine: PoolEngine, hosts: Iterable[str] | None = None) -> LeaseView:
    """Read the lease on every reachable host (or `hosts`) at once."""
    names = list(hosts) if hosts is not None else _reachable(engine)
    t = engine.settings.command_timeout
    got = await asyncio.gather(*(_read_host(engine, n, t) for n in names))
    return LeaseView({h.host: h for h in got}, time.time())


class PoolLease:
    """Our lease on one engine's pool (see the module docstring)."""

    def __init__(
        self,
        engine: PoolEngine,
        audit: AuditLog,
        *,
        ttl: float | None = None,
        grace: float = 1.0,
        operator: str | None = None,
        jump_box: str | None = None,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.ttl = float(ttl if ttl is not None else engine.settings.lease_ttl)
        self.grace = grace
        self.operator = operator or operator_login()
        self.jump_box = jump_box or socket.gethostname()
        self.record: LeaseRecord | None = None
        self.held: list[str] = []
        self.lost: str | None = None  # why the lease stopped holding while a plan ran
        self._keeper: asyncio.Task[None] | None = None
        self._approved: set[str] = set()  # live leases the admin agreed to take over (asked once per holder)

    def _timeout(self) -> float:
        return self.engine.settings.command_timeout

    async def _run(self, host: str, command: str) -> Any:
        return await self.engine.sessions[host].run(command, self._timeout(), record=False)

    def _new_record(self, plan: str) -> LeaseRecord:
        now = time.time()
        return LeaseRecord(token=uuid.uuid4().hex, operator=self.operator, jump_box=self.jump_box, plan=plan,
                           pool=getattr(getattr(self.engine, "pool", None), "name", ""), started=now, expires=now + self.ttl, pid=os.getpid())

    async def acquire(self, plan: str, touched: Iterable[str], take_over: TakeOverFn | None = None) -> LeaseRecord:
        """Hold the lease for `plan` (see the module docstring); raises LeaseRefused."""
        record = self._new_record(plan)
        self.record, self.held, self.lost = record, [], None
        touched = sorted(set(touched))
        failures: dict[str, str] = {}
        reachable: list[str] = []  # the hosts that answered (a host that does not is not counted)
        try:
            for host in _reachable(self.engine):
                why, answered = await self._take_one(host, record, take_over)
                if answered:
                    reachable.append(host)
                if why is None:
                    self.held.append(host)
                else:
                    failures[host] = why
        except BaseException:
            await self.release()
            raise
        missing = [h for h in touched if h not in self.held]
        if missing or not self.held or len(self.held) * 2 <= len(reachable):
            count = len(self.held)
            await self.release()
            need = f"{count} of {len(reachable)} reachable hosts (a majority is needed)"
            if missing:
                need += f"; not on {', '.join(missing)}, which the plan changes"
            detail = "; ".join(f"{h}: {w}" for h, w in failures.items())
            raise LeaseRefused(f"the pool's lease is held on {need}" + (f" — {detail}" if detail else ""))
        return record

    async def _take_one(self, host: str, record: LeaseRecord, take_over: TakeOverFn | None) -> tuple[str | None, bool]:
        """(None when held on `host`, else why not; whether the host answered). Raises LeaseRefused
        on someone else's live lease."""
        cr = await self._run(host, take_command(record))
        if cr.ok:
            return None, True
        if cr.exit_status is None or cr.timed_out:
            return cr.error or "no answer in time", False
        if "File exists" not in cr.stderr:
            return cr.stderr.strip() or f"exit {cr.exit_status}", True
        return await self._take_taken(host, record, take_over), True

    async def _take_taken(self, host: str, record: LeaseRecord, take_over: TakeOverFn | None) -> str | None:
        """The lease directory exists on `host`: None when it is ours now, else why not."""
        last: str | None = None
        for _attempt in range(3):
            seen = await _read_host(self.engine, host, self._timeout())
            if seen.state is LeaseState.FREE:
                cr = await self._run(host, take_command(record))
            elif seen.state is LeaseState.TAKING:
                await asyncio.sleep(self.grace)
                again = await _read_host(self.engine, host, self._timeout())
                if again.state is not LeaseState.TAKING:
                    continue
                cr = await self._run(host, take_over_command(None, record))
                if cr.ok:
                    self.audit.record(host, "lease: take abandoned", outcome="ok",
                                      detail="a lease directory with no holder, empty for " f"{self.grace:g} s")
                    return None
            elif seen.state is LeaseState.UNREADABLE:
                last = seen.error or "a holder file that is not a lease record"
                await asyncio.sleep(self.grace)  # being rewritten by its holder's renewal: read again
                continue
            elif seen.state is LeaseState.HELD and seen.record is not None:
                other = seen.record
                if other.token == record.token:
                    return None
                now = time.time()
                if other.stale(now):
                    how = "stale lease taken"
                else:
                    ok = other.token in self._approved
                    if not ok and take_over is not None:
                        answer = take_over(other)
                        ok = bool(await answer) if inspect.isawaitable(answer) else bool(answer)
                    if ok:
                        self._approved.add(other.token)
                    else:
                        raise LeaseRefused(f"the pool's lease is held by {describe(other, now)}", other)
                    how = "live lease taken over (typed confirmation)"
                cr = await self._run(host, take_over_command(other.token, record))
                if cr.ok:
                    self.audit.record(host, f"lease: take over from {other.who()}", outcome="take-over",
                                      detail=f"{how}: was {other.token} for {other.plan!r} by {describe(other, now)}")
                    return None
            else:
                return seen.error or f"lease unreadable ({seen.state})"
            if cr.ok:
                return None
        return last or "the lease changed hands while it was being taken"

    async def renew(self) -> None:
        """Push the expiry out on every host we hold; a host where it is no longer ours sets `lost`."""
        if self.record is None or not self.held:
            return
        now = time.time()
        self.record = self.record.model_copy(update={"expires": now + self.ttl})
        results = await asyncio.gather(*(self._run(h, renew_command(self.record)) for h in self.held))
        gone = [h for h, cr in zip(self.held, results) if cr.exit_status not in (0, None)]
        if gone:
            self.lost = f"the lease is no longer ours on {', '.join(gone)} (taken over?)"
            self.audit.record("(pool)", "lease: renew", outcome="error", detail=self.lost)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, self.ttl / 3))
            try:
                await self.renew()
            except Exception as e:  # a renewal that cannot run is a lease that will lapse
                self.lost = f"renewal failed: {e}"

    def keep(self) -> None:
        """Renew in the background until `release()`."""
        if self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep(), name="lease-renew")

    async def release(self) -> None:
        """Remove our holder file (and the directory) on every host we hold; never anyone else's."""
        if self._keeper is not None:
            self._keeper.cancel()
            try:
                await self._keeper
            except (asyncio.CancelledError, Exception):
                pass
            self._keeper = None
        if self.record is None or not self.held:
            self.held, self.record = [], None
            return
        token = self.record.token
        held, self.held = list(self.held), []
        try:
            await asyncio.gather(*(self._run(h, release_command(token)) for h in held), return_exceptions=True)
        finally:
            self.record = None  # ours no more (a host we could not reach keeps it until its expiry)
