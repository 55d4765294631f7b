"""The long-running engine follows each host through its watcher loop (issue 24), over real SSH.

A streamed host's pool.conf, reach check and generation come from the loop (their sources
say so); a pulled cable is master-lost without waiting for a poll; a host where the loop
cannot run (its login has no `sh`, or `sleep`) is polled and says so, and is still judged.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers.engines import engine_for, until
from helpers.settings import ENGINE_FAST
from xentui.core.model import SshState
from xentui.diagnosis import Verdict
from xentui.engine.watcher import HOW, WatchMode

STREAM = dict(ENGINE_FAST, poll_interval=30.0, watch_read_interval=30.0)  # nothing but the loop between reads
HELD = dict(STREAM, keepalive_interval=15.0)  # a silent session is kept (not dropped by keepalives)


async def _all_streaming(engine, timeout: float = 15.0, but: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while any(f.watch != "stream" for n, f in engine.facts.items() if n != but):
        assert time.monotonic() < deadline, {n: (f.watch, f.watch_detail) for n, f in engine.facts.items()}
        await asyncio.sleep(0.1)


async def test_facts_come_from_the_loop_and_a_pulled_cable_is_seen_without_a_poll(sim_factory) -> None:
    sim = await sim_factory("healthy")
    engine = engine_for(sim, **HELD)
    engine.start()
    try:
        await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy")
        await _all_streaming(engine)
        gen_before = engine.facts["plot1"].sources["db_generation"].at
        await asyncio.sleep(2.5)  # no poll for 30 s: the loop's passes keep the facts current
        slave = engine.facts["plot4"]
        assert slave.sources["reaches_master"].how.startswith(HOW) and slave.reaches_master is True
        assert engine.facts["plot1"].sources["db_generation"].at > gen_before
        assert engine.facts["plot1"].sources["role"].how.startswith(HOW)

        pulled = time.monotonic()
        await sim.fault("cable-pull", "plot1")
        d = await until(engine, lambda d: d.verdict is Verdict.MASTER_LOST, "master lost", timeout=15)
        assert time.monotonic() - pulled < 10  # far below the 30 s between reads: the stream said it
        master = engine.facts["plot1"]
        assert master.silent and master.ssh is SshState.UP
        assert master.sources["silent_for"].how == f"no heartbeat from the {HOW}"
        assert "answers" not in d.summary
        await sim.fault("cable-restore", "plot1")
        await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy again", timeout=20)
        assert not engine.facts["plot1"].silent
    finally:
        await engine.stop()


async def test_a_hung_toolstack_is_read_when_the_loop_says_so(sim_factory) -> None:
    sim = await sim_factory("healthy")
    engine = engine_for(sim, **STREAM)
    engine.start()
    try:
        await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy")
        await _all_streaming(engine)
        await sim.fault("hang-xapi", "plot1")
        # only the loop's `C xapi timeout` can start the reads before 30 s
        await until(engine, lambda d: d.verdict is Verdict.MASTER_LOST, "hung master", timeout=20)
    finally:
        await engine.stop()


@pytest.mark.parametrize("missing", ["sh", "sleep"])
async def test_a_host_where_the_loop_cannot_run_is_polled_and_says_so(sim_factory, missing: str) -> None:
    sim = await sim_factory("healthy")
    await sim.fault("remove-command", "plot3", missing)
    engine = engine_for(sim, **dict(STREAM, poll_interval=1.0))
    engine.start()
    try:
        d = await until(engine, lambda d: d.verdict is Verdict.HEALTHY and engine.facts["plot3"].watch == "polled",
                        "healthy, plot3 polled")
        await _all_streaming(engine, but="plot3")
        f = engine.facts["plot3"]
        assert f.watch_detail is not None and f"{missing}: command not found" in f.watch_detail
        assert "127" in f.watch_detail
        assert engine.watches["plot3"].mode is WatchMode.POLLED
        assert f.role is not None and f.reaches_master is True and "plot3" in d.hosts
        # polled as today: its facts are read again every poll_interval
        at = f.sources["reaches_master"].at
        await asyncio.sleep(2.5)
        assert engine.facts["plot3"].sources["reaches_master"].at > at
        assert not engine.facts["plot3"].sources["reaches_master"].how.startswith(HOW)
    finally:
        await engine.stop()


async def test_the_poll_only_engine_is_still_there(sim_factory) -> None:
    sim = await sim_factory("healthy")
    engine = engine_for(sim, **dict(ENGINE_FAST, poll_interval=1.0, watch_stream=False))
    engine.start()
    try:
        await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy")
        assert all(f.watch is None for f in engine.facts.values()) and not engine.watches
    finally:
        await engine.stop()
