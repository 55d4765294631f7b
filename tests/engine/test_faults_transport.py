"""Fault matrix, transport side: what the network and sshd do to a probe.

Each case breaks a subset of the simulated slaves (plot3 and plot6) at one
moment of a probe -- before it, right after the SSH login, or while an `xe`
runs on the host -- and checks the same five things:

* no exception escapes `PoolEngine.probe_once`, and the loop reports none;
* the other hosts' facts are exactly a healthy slave's / master's;
* the failing hosts' facts name the fault (SSH state and its one-line cause,
  or the query that got no answer);
* no engine task is left running once the probe's timeouts have passed, and
  no XenAPI login thread outlives its timeout (the simulator's own tasks are
  allowed: they are told apart by a context variable set only around the
  engine's probe);
* memory stays bounded: every kept output is capped.

Timeouts are short (connect 1.5 s, command 2 s) so the file stays well under
a minute.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import weakref
from typing import Any, Callable

import pytest

from helpers.engines import engine_for as shared_engine_for
from helpers.settings import FAULTS_FAST
from xentui.diagnosis import HostFlag, Verdict
from xentui.engine.pool import PoolEngine
from xentui.engine.sessions import MAX_OUTPUT
from xentui.core.model import HostFacts, QueryState, Role, SshState, XapiView
from xensim.xe import XeCli

FAST = FAULTS_FAST
BAD = ("plot3", "plot6")
# The longest a probe may take: connect + the xe bound (command + 1) + slack for 8 hosts on 2 cores.
BOUND = FAST["connect_timeout"] + 1 + FAST["command_timeout"] + 1 + 3.0

_ENGINE_SIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("engine_side", default=False)


# --------------------------------------------------------------------------- harness


class Harness:
    """Tags every task created on the engine's side of a probe; collects loop errors."""

    def __init__(self) -> None:
        self.engine_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self.loop_errors: list[dict[str, Any]] = []

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, context: contextvars.Context | None = None) -> Any:
        task = asyncio.Task(coro, loop=loop, context=context)
        tagged = context.get(_ENGINE_SIDE, False) if context is not None else _ENGINE_SIDE.get()
        if tagged:
            self.engine_tasks.add(task)
        return task

    def on_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.loop_errors.append(context)

    def pending(self) -> list[asyncio.Task[Any]]:
        return [t for t in self.engine_tasks if not t.done()]

    def engine_errors(self) -> list[str]:
        """Loop-reported errors raised on the engine's side (the simulator's own are its business)."""
        out = []
        for c in self.loop_errors:
            t = c.get("task") or c.get("future")
            if t is None or t in self.engine_tasks:
                out.append(f"{c.get('message')}: {c.get('exception')!r}")
        return out


@pytest.fixture
async def harness():
    loop = asyncio.get_running_loop()
    h = Harness()
    old_factory, old_handler = loop.get_task_factory(), loop.get_exception_handler()
    loop.set_task_factory(h.factory)
    loop.set_exception_handler(h.on_error)
    yield h
    loop.set_task_factory(old_factory)
    loop.set_exception_handler(old_handler)


def unmarked(coro: Any) -> asyncio.Task[Any]:
    """Run a simulator fault outside the engine's context (it is the world, not the engine)."""
    return asyncio.get_running_loop().create_task(coro, context=contextvars.Context())


def engine_for(sim) -> PoolEngine:
    return shared_engine_for(sim, **FAST)


async def probe(engine: PoolEngine, on_update: Callable[[HostFacts], None] | None = None):
    ctx = contextvars.copy_context()
    ctx.run(_ENGINE_SIDE.set, True)
    started = time.monotonic()
    diagnosis = await asyncio.get_running_loop().create_task(engine.probe_once(on_update), context=ctx)
    return diagnosis, time.monotonic() - started


async def settle(harness: Harness, engine: PoolEngine, seconds: float = 3.0) -> None:
    """Stop the engine and wait (bounded) for its tasks and login threads to end."""
    await engine.stop()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (harness.pending() or _login_threads()):
        await asyncio.sleep(0.05)


def _login_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("xenapi") and t.is_alive()]


def assert_healthy(sim, engine: PoolEngine, diagnosis, name: str) -> None:
    """The facts of a host no fault touched: exactly what a healthy pool shows."""
    f = engine.facts[name]
    h = sim.pool.host(name)
    assert f.ssh is SshState.UP and f.ssh_error is None, (name, f.ssh_error)
    assert f.uuid == h.uuid and f.hostname == name
    assert f.pool_list is QueryState.ANSWERED, (name, f.pool_list_error)
    assert f.emergency_mode is False
    if name == "plot1":
        assert f.role is Role.MASTER and f.xapi is XapiView.MASTER
    else:
        assert f.role is Role.SLAVE and f.master_address == sim.pool.host("plot1").address
        assert f.xapi is XapiView.SLAVE, (name, f.xapi_detail)
        assert f.reaches_master is True, (name, f.reaches_master_detail)
    assert diagnosis.hosts[name].flags == [], (name, diagnosis.hosts[name])


def assert_bounded(engine: PoolEngine) -> None:
    for name, activity in engine.activity.items():
        for r in activity.recent:
            assert len(r.stdout) <= MAX_OUTPUT and len(r.stderr) <= MAX_OUTPUT, (name, r.command)
    for f in engine.facts.values():
        for field in ("ssh_error", "xapi_detail", "pool_list_error", "emergency_error", "reaches_master_detail"):
            value = getattr(f, field)
            assert value is None or (len(value) <= 1000 and "\n" not in value), (f.name, field, value[:200])


# --------------------------------------------------------------------------- the matrix

# (moment, fault, what the failing host's facts must say)
CASES = [
    ("before", "shutdown", "refused"),
    ("before", "cable-pull", "silence"),
    ("before", "silent-banner", "silence"),
    ("before", "deny-auth", "auth"),
    ("before", "rekey", "host-key"),
    ("before", "hang-xapi", "hung"),
    ("after-login", "cable-pull", "stalled"),
    ("after-login", "shutdown", "dropped"),
    ("after-login", "hang-xapi", "hung"),
    ("during-xe", "cable-pull", "stalled"),
    ("during-xe", "shutdown", "dropped"),
]


@pytest.mark.parametrize("moment, fault, expect", CASES, ids=[f"{m}-{f}" for m, f, _ in CASES])
async def test_fault_on_a_subset_of_hosts(sim_factory, harness, monkeypatch, moment, fault, expect):
    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    fired: dict[str, float] = {}
    t0 = time.monotonic()

    def fire(name: str) -> None:
        if name not in fired:
            fired[name] = time.monotonic() - t0
            unmarked(sim.fault(fault, name))

    on_update = None
    if moment == "before":
        for name in BAD:
            await sim.fault(fault, name)
    elif moment == "after-login":

        def on_update(f: HostFacts) -> None:
            if f.name in BAD and f.ssh is SshState.UP:
                fire(f.name)

    else:  # during-xe: the first xe on the host is slow, and the fault lands while it runs
        original = XeCli.run

        async def slow_xe(self: XeCli, argv: list[str]):
            if self.host.name in BAD and self.host.name not in fired:
                fire(self.host.name)
                await asyncio.sleep(0.3)
            return await original(self, argv)

        monkeypatch.setattr(XeCli, "run", slow_xe)

    t0 = time.monotonic()
    diagnosis, seconds = await probe(engine, on_update)
    if moment != "before":
        assert set(fired) == set(BAD), f"the fault never fired: {fired}"

    # bounded, and nothing escaped
    assert seconds < BOUND, f"probe took {seconds:.1f} s"
    assert diagnosis.verdict is Verdict.DEGRADED, diagnosis.summary
    assert harness.engine_errors() == []

    # everyone else is untouched
    for name in sim.pool.hosts:
        if name not in BAD:
            assert_healthy(sim, engine, diagnosis, name)

    # the failing hosts' facts name the fault
    for name in BAD:
        f = engine.facts[name]
        flags = diagnosis.hosts[name].flags
        if expect == "refused":
            assert f.ssh is SshState.REFUSED and f.ssh_error == f"{name}: connection refused"
        elif expect == "silence":
            assert f.ssh is SshState.NO_ANSWER and f.ssh_error == f"{name}: no answer in 1.5 s"
        elif expect == "auth":
            assert f.ssh is SshState.AUTH_FAILED and f.ssh_error.startswith(f"{name}: authentication failed")
        elif expect == "host-key":
            new = sim.host_keys[name].get_fingerprint()
            assert f.ssh is SshState.HOST_KEY_CHANGED and f.host_key_fingerprint == new
            assert "HOST KEY CHANGED" in f.ssh_error and new in f.ssh_error
        elif expect == "hung":
            # SSH and the files still answer; the toolstack does not, and that is the finding.
            assert f.ssh is SshState.UP and f.role is Role.SLAVE and f.uuid == sim.pool.host(name).uuid
            assert f.xapi is XapiView.NO_ANSWER and f.xapi_detail == "no answer in 2 s"
            assert f.pool_list is QueryState.NO_ANSWER
            assert HostFlag.TOOLSTACK_HUNG in flags
        elif expect in ("stalled", "dropped"):
            # The host stopped answering under an open connection: that is "no answer" (or, once a later
            # command of the same probe tried to reconnect to a host that is off, "refused"), never a hung toolstack.
            states = (SshState.NO_ANSWER,) if expect == "stalled" else (SshState.NO_ANSWER, SshState.REFUSED)
            assert f.ssh in states, (name, f.ssh, f.ssh_error)
            assert f.ssh_error and f.ssh_error.startswith(f"{name}: "), f.ssh_error
            words = ("no answer",) if expect == "stalled" else ("connection lost", "connection refused")
            assert any(w in f.ssh_error for w in words), f.ssh_error
            assert f.pool_list is not QueryState.ANSWERED
            assert HostFlag.UNREACHABLE in flags and HostFlag.TOOLSTACK_HUNG not in flags, flags
        if expect not in ("hung",):
            assert HostFlag.UNREACHABLE in flags
        assert "\n" not in (f.ssh_error or "")

    assert_bounded(engine)
    await settle(harness, engine)
    assert harness.pending() == [], [t.get_coro() for t in harness.pending()]
    assert _login_threads() == []


async def test_hung_toolstacks_never_delay_other_hosts_logins(sim_factory, harness):
    """More hung toolstacks than a small login pool once had workers: healthy hosts still answer."""
    sim = await sim_factory("healthy", hosts=12)
    hung = [f"plot{i}" for i in range(2, 9)]  # 7 of 11 slaves
    for name in hung:
        await sim.fault("hang-xapi", name)
    engine = engine_for(sim)
    diagnosis, seconds = await probe(engine)
    assert seconds < BOUND
    for name in sim.pool.hosts:
        f = engine.facts[name]
        if name in hung:
            assert f.xapi is XapiView.NO_ANSWER and HostFlag.TOOLSTACK_HUNG in diagnosis.hosts[name].flags
        else:
            assert_healthy(sim, engine, diagnosis, name)
    assert harness.engine_errors() == []
    await settle(harness, engine)
    assert harness.pending() == [] and _login_threads() == []


async def test_master_cable_pulled_under_a_running_console_is_master_lost_not_hung(sim_factory, harness):
    """The console's connections are open when the master's cable goes: its probe stalls, and the
    verdict must be master-lost with a promotion, not 'restart the toolstack' on a host nobody reaches."""
    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    d, _ = await probe(engine)
    assert d.verdict is Verdict.HEALTHY
    await sim.fault("cable-pull", "plot1")
    d, seconds = await probe(engine)  # same engine, same (now stalled) connection to plot1
    assert seconds < BOUND
    f1 = engine.facts["plot1"]
    assert f1.ssh is SshState.NO_ANSWER and "no answer" in (f1.ssh_error or "")
    assert f1.role is Role.MASTER and f1.sources["role"].stale  # what it was, kept and marked stale
    assert d.verdict is Verdict.MASTER_LOST, d.summary
    assert d.majority_master and d.majority_master.name == "plot1"
    assert d.recommendation and d.recommendation.action == "promote" and d.recommendation.host != "plot1"
    assert harness.engine_errors() == []
    await settle(harness, engine)
    assert harness.pending() == []
