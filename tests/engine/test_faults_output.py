"""Fault matrix, output side: garbage, non-UTF-8, truncated and 10 MB answers.

The broken content is served by a subset of the simulated slaves (plot3 and
plot6): from `xe` (the simulator's xe is patched for those hosts only) and
from the files the probe reads (written into the hosts' files with
`sim.pool.host(name).write(path, data)`).  For each case:

* no exception escapes the probe, and the loop reports none;
* the other hosts' facts are exactly a healthy pool's;
* the failing hosts' facts name the fault (an unreadable pool-list, an
  unexpected emergency answer, a broken pool.conf, ...) in one short line;
* memory stays bounded: kept outputs are capped (`MAX_OUTPUT`), files are
  read through `head -c`, and every error text is one line of bounded size;
* no engine task is left running once the probe has returned.

`gather_storage` gets the same treatment for /proc/partitions: unreadable
content must never turn into a device offered as free.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import weakref
from typing import Any

import pytest

from helpers.engines import engine_for as shared_engine_for
from helpers.settings import FAULTS_FAST
from xentui.actions.storage import gather_storage
from xentui.diagnosis import HostFlag
from xentui.engine.pool import PoolEngine
from xentui.engine.sessions import MAX_OUTPUT
from xentui.core.model import QueryState, Role, SshState, XapiView
from xensim.xe import Result, XeCli
from xentui.xe.commands import HEAD_MAX_BYTES

FAST = FAULTS_FAST
BAD = ("plot3", "plot6")
TEN_MB = 10 * 1024 * 1024
GARBAGE = bytes(range(256)) * 64  # every byte value: NULs, invalid UTF-8, escape sequences
_ENGINE_SIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("engine_side_output", default=False)


class Harness:
    def __init__(self) -> None:
        self.engine_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self.loop_errors: list[dict[str, Any]] = []

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, context: contextvars.Context | None = None) -> Any:
        task = asyncio.Task(coro, loop=loop, context=context)
        if context.get(_ENGINE_SIDE, False) if context is not None else _ENGINE_SIDE.get():
            self.engine_tasks.add(task)
        return task

    def pending(self) -> list[asyncio.Task[Any]]:
        return [t for t in self.engine_tasks if not t.done()]

    def engine_errors(self) -> list[str]:
        return [
            f"{c.get('message')}: {c.get('exception')!r}"
            for c in self.loop_errors
            if (c.get("task") or c.get("future")) is None or (c.get("task") or c.get("future")) in self.engine_tasks
        ]


@pytest.fixture
async def harness():
    loop = asyncio.get_running_loop()
    h = Harness()
    old_factory, old_handler = loop.get_task_factory(), loop.get_exception_handler()
    loop.set_task_factory(h.factory)
    loop.set_exception_handler(lambda _loop, context: h.loop_errors.append(context))
    yield h
    loop.set_task_factory(old_factory)
    loop.set_exception_handler(old_handler)


async def run_engine_side(coro: Any) -> Any:
    ctx = contextvars.copy_context()
    ctx.run(_ENGINE_SIDE.set, True)
    return await asyncio.get_running_loop().create_task(coro, context=ctx)


def engine_for(sim) -> PoolEngine:
    return shared_engine_for(sim, **FAST)


# --------------------------------------------------------------------------- broken content

def pool_list_truncated() -> bytes:
    # A real record cut in the middle of a line, as a dropped connection or a full disk leaves it.
    return b"uuid ( RO)                : c49997e0-3dec-58c3-8b75-b540a0f033f5\n          name-label ( RW): plots\n    mas"


XE_FAULTS: dict[str, tuple[str, Result]] = {
    # case: (xe command patched, what it prints)
    "pool-list-garbage": ("pool-list", Result(GARBAGE, b"", 0)),
    "pool-list-truncated": ("pool-list", Result(pool_list_truncated(), b"", 0)),
    "pool-list-10MB": ("pool-list", Result(b"x" * TEN_MB, b"", 0)),
    "pool-list-10MB-stderr": ("pool-list", Result(b"", GARBAGE + b"\n" + b"y" * TEN_MB, 1)),
    "emergency-garbage": ("host-is-in-emergency-mode", Result(GARBAGE, b"", 0)),
    "emergency-10MB": ("host-is-in-emergency-mode", Result(b"tru" + b"e" * TEN_MB, b"", 0)),
}

FILE_FAULTS: dict[str, tuple[str, bytes]] = {
    "pool.conf-garbage": ("/etc/xensource/pool.conf", GARBAGE),
    "pool.conf-truncated": ("/etc/xensource/pool.conf", b"slave:127.0.1."),
    "pool.conf-10MB": ("/etc/xensource/pool.conf", b"slave:" + b"9" * TEN_MB),
    "inventory-garbage": ("/etc/xensource-inventory", GARBAGE),
    "inventory-10MB": ("/etc/xensource-inventory", b"#" * TEN_MB),
    "hostname-non-utf8": ("/etc/hostname", "plöt\n".encode("latin-1")),
    "generation-garbage": ("/var/lib/xcp/state.db.generation", b"12\xff34\n"),
}


def assert_healthy(sim, engine: PoolEngine, diagnosis, name: str) -> None:
    f = engine.facts[name]
    h = sim.pool.host(name)
    assert f.ssh is SshState.UP and f.uuid == h.uuid and f.hostname == name
    assert f.pool_list is QueryState.ANSWERED and f.emergency_mode is False
    if name == "plot1":
        assert f.role is Role.MASTER and f.xapi is XapiView.MASTER
    else:
        assert f.role is Role.SLAVE and f.master_address == sim.pool.host("plot1").address
        assert f.xapi is XapiView.SLAVE and f.reaches_master is True
    # Hosts that follow a broken slave's master are untouched; only the broken host is flagged.
    assert diagnosis.hosts[name].flags == [], (name, diagnosis.hosts[name])


def assert_bounded(engine: PoolEngine) -> None:
    for name, activity in engine.activity.items():
        for r in activity.recent:
            assert len(r.stdout) <= MAX_OUTPUT and len(r.stderr) <= MAX_OUTPUT, (name, r.command)
    for f in engine.facts.values():
        assert f.pool_conf_raw is None or len(f.pool_conf_raw.encode()) <= 4 * HEAD_MAX_BYTES
        for field in ("ssh_error", "xapi_detail", "pool_list_error", "emergency_error", "reaches_master_detail"):
            value = getattr(f, field)
            assert value is None or (len(value) <= 300 and "\n" not in value), (f.name, field, len(value))
        for key, src in f.sources.items():
            assert len(src.how) <= 300, (f.name, key, len(src.how))


async def check_probe(sim, harness) -> tuple[PoolEngine, Any]:
    engine = engine_for(sim)
    started = time.monotonic()
    diagnosis = await run_engine_side(engine.probe_once())
    assert time.monotonic() - started < FAST["connect_timeout"] + FAST["command_timeout"] + 4
    assert harness.engine_errors() == []
    for name in sim.pool.hosts:
        if name not in BAD:
            assert_healthy(sim, engine, diagnosis, name)
    assert_bounded(engine)
    return engine, diagnosis


async def finish(harness, engine: PoolEngine) -> None:
    await engine.stop()
    deadline = time.monotonic() + 2
    while harness.pending() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert harness.pending() == [], [t.get_coro() for t in harness.pending()]


# --------------------------------------------------------------------------- xe answers


@pytest.mark.parametrize("case", sorted(XE_FAULTS))
async def test_broken_xe_output(sim_factory, harness, monkeypatch, case):
    command, answer = XE_FAULTS[case]
    sim = await sim_factory("healthy")
    original = XeCli.run

    async def broken(self: XeCli, argv: list[str]) -> Result:
        if self.host.name in BAD and argv[:1] == [command]:
            return answer
        return await original(self, argv)

    monkeypatch.setattr(XeCli, "run", broken)
    engine, diagnosis = await check_probe(sim, harness)
    for name in BAD:
        f = engine.facts[name]
        # The files still say who the host is: one bad answer never hides the rest.
        assert f.ssh is SshState.UP and f.role is Role.SLAVE and f.uuid == sim.pool.host(name).uuid
        if command == "pool-list":
            assert f.pool_list is QueryState.ERROR, (case, f.pool_list)
            assert f.pool_list_error, case
            if case.endswith("stderr"):
                # Shown, escaped: no raw control byte (a terminal escape) ever reaches the console.
                assert f.pool_list_error.startswith("\\x00\\x01") and f.pool_list_error.isprintable()
            else:
                assert f.pool_list_error.startswith("unreadable pool-list output"), f.pool_list_error
        else:
            assert f.emergency_mode is None and f.pool_list is QueryState.ANSWERED
            assert f.emergency_error and f.emergency_error.startswith("unexpected answer"), f.emergency_error
    await finish(harness, engine)


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("case", sorted(FILE_FAULTS))
async def test_broken_files(sim_factory, harness, case):
    path, data = FILE_FAULTS[case]
    sim = await sim_factory("healthy")
    for name in BAD:
        sim.pool.host(name).write(path, data)
    engine, diagnosis = await check_probe(sim, harness)
    master_address = sim.pool.host("plot1").address
    for name in BAD:
        f = engine.facts[name]
        flags = diagnosis.hosts[name].flags
        assert f.ssh is SshState.UP and f.xapi is XapiView.SLAVE  # the toolstack still answers for itself
        if case == "pool.conf-garbage":
            assert f.role is Role.BROKEN and HostFlag.BROKEN in flags
            assert f.pool_conf_raw and len(f.pool_conf_raw.encode()) <= 4 * HEAD_MAX_BYTES
        elif case == "pool.conf-truncated":
            assert f.role is Role.SLAVE and f.master_address == "127.0.1."
            assert f.reaches_master is None and "not a valid address" in (f.reaches_master_detail or "")
            assert HostFlag.STALE_MASTER_ADDRESS in flags or HostFlag.DISAGREES in flags
        elif case == "pool.conf-10MB":
            assert f.role is Role.SLAVE and len(f.master_address or "") < HEAD_MAX_BYTES  # head -c cut it
            assert f.reaches_master is None and "not a valid address" in (f.reaches_master_detail or "")
        else:
            assert f.role is Role.SLAVE and f.master_address == master_address
        if case.startswith("inventory"):
            assert f.uuid is None  # not guessed
        if case == "hostname-non-utf8":
            assert f.hostname == "pl\ufffdt"
        if case == "generation-garbage":
            assert f.db_generation is None
    await finish(harness, engine)


# --------------------------------------------------------------------------- /proc/partitions (storage)

PARTITIONS = {
    "truncated": b"major minor  #blocks  name\n\n   8        0  488386584 sda\n   8       16  48838",
    "garbage": GARBAGE,
    "10MB": b"major minor  #blocks  name\n\n" + b"   8       32  488386584 sdc\n" * (TEN_MB // 29),
}


@pytest.mark.parametrize("case", sorted(PARTITIONS))
async def test_broken_proc_partitions_never_offers_a_device(sim_factory, harness, case):
    sim = await sim_factory("healthy")
    host = sim.pool.host("plot4")  # has a spare sdb1/sdb2 when the file is sane
    host.write("/proc/partitions", PARTITIONS[case])
    engine = engine_for(sim)
    try:
        facts = await run_engine_side(
            asyncio.wait_for(gather_storage(engine.sessions["plot4"], "plot4", host.uuid, "plot4", 3.0), 15)
        )
    finally:
        await finish(harness, engine)
    assert harness.engine_errors() == []
    if case == "10MB":
        # Cut by `head -c` in the middle of a row: that partial row (`s`, or `sdc` of a cut `sdc1`) is dropped.
        assert {d.name for d in facts.devices} <= {"sdc"}
        assert not any(d.name.startswith("sdb") for d in facts.devices)
    else:
        assert facts.error and "/proc/partitions" in facts.error, facts.error
        assert [d for d in facts.devices if d.free] == []
