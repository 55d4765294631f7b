"""The console on a live PoolEngine, against the simulator over real SSH.

Short settings (connect 2 s, command 3 s, reach 1 s, poll 0.5 s) keep the
field story inside a few seconds: a pulled cable must turn the banner to
MASTER LOST within the timeouts while the console keeps answering keys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from xentui.core.config import Config, Settings, load_config
from xentui.diagnosis import Verdict
from xentui.devtools.loopwatch import LoopWatch
from xentui.core.model import Role
from xensim.server import Simulator
from xentui.ui.app import XentuiApp
from xentui.ui.screens.help import HelpScreen
from xentui.ui.screens.pool import PoolScreen
from xentui.ui.source import LiveSource
from helpers.keys import key_takes_effect as _key
from helpers.keys import send_key as _send
from xentui.ui.widgets import HostTable, VerdictBanner

SimFactory = Callable[..., Awaitable[Simulator]]
SHORT = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0, poll_interval=0.5)


def _config(sim: Simulator) -> Config:
    config = load_config(sim.dir / "pools.toml")
    return config.model_copy(update={"settings": Settings(audit_file=sim.dir / "audit.jsonl", **SHORT)})


async def _until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no {what} within {timeout:g} s")
        await pilot.pause(0.1)
    return time.monotonic() - started


def _verdict(app: XentuiApp) -> Verdict | None:
    slot = app.current_slot
    return slot.diagnosis.verdict if slot is not None and slot.diagnosis is not None else None


def _table(app: XentuiApp) -> HostTable:
    return app.screen.query_one(HostTable)


def _filled(app: XentuiApp) -> bool:
    slot = app.current_slot
    if slot is None:
        return False
    facts = slot.source.facts
    return len(facts) == 8 and all(f.role is not None for f in facts.values()) and _table(app).row_count == 8


async def test_table_fills_selection_survives_20_refreshes_and_the_loop_never_stalls(
    sim_factory: SimFactory,
) -> None:
    """8 hosts polled every 0.5 s over SSH with the simulator in the same loop, F5 pressed 20
    times: the table fills, the selected row stays selected (cells updated in place, the
    table never cleared), and the event loop never stalls over 500 ms."""
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=_config(sim))
    watch = LoopWatch()
    async with app.run_test(size=(160, 48)) as pilot:
        watch.start()
        await _until(pilot, lambda: _filled(app) and _verdict(app) is Verdict.HEALTHY, 15, "healthy table")
        await pilot.pause(0.3)
        table = _table(app)
        assert [str(k.value) for k in table.rows] == [f"plot{i}" for i in range(1, 9)]
        assert str(table.get_cell("plot1", "role")) == "master"
        assert str(table.get_cell("plot5", "master")) == "plot1"

        for row in range(1, 5):
            await _key(app, "down", lambda row=row: table.cursor_row == row)
        assert table.cursor_row == 4 and table.selected_host == "plot5"
        rebuilds, diagnoses, updates = table.rebuilds, app.diagnoses, table.cell_updates
        for _ in range(20):
            _send(app, "f5")  # refresh now: every host re-probed
            await asyncio.sleep(0.1)
            assert table.cursor_row == 4
        # facts kept arriving (how many per second depends on the machine's load: waited for, not timed)...
        await _until(pilot, lambda: app.diagnoses - diagnoses >= 10, 15, "ten more diagnoses")
        watch.stop()
        assert table.cell_updates > updates  # ...cells were updated in place...
        assert table.rebuilds == rebuilds  # ...the table was never cleared
        assert table.cursor_row == 4 and table.selected_host == "plot5"
        assert table.scroll_y == 0

        source = app.current_slot.source
        assert isinstance(source, LiveSource)
        assert len(app.command_history) > 40  # every probe command reaches the log
        assert not (sim.dir / "audit.jsonl").exists()  # ...and none is audited
    assert watch.worst < 0.5, f"event loop stalled {watch.worst * 1000:.0f} ms"
    assert source.engine._tasks == []  # the engine was stopped with the app
    assert list(app.errors) == []


async def test_pulled_cable_turns_the_banner_while_keys_keep_working(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: _filled(app) and _verdict(app) is Verdict.HEALTHY, 15, "healthy table")
        table = _table(app)
        await sim.fault("cable-pull", "plot1")
        started = time.monotonic()
        presses = 0
        latencies: list[float] = []
        row = table.cursor_row
        while _verdict(app) is not Verdict.MASTER_LOST:
            # connect 2 s + command 3 s + poll 0.5 s, and margin for a loaded machine
            assert time.monotonic() - started < 20, "no MASTER LOST within the timeouts"
            key, delta = ("down", 1) if row < 6 else ("up", -1)
            row += delta
            latencies.append(await _key(app, key, lambda row=row: table.cursor_row == row))
            presses += 1
            if presses == 3:  # a whole screen too
                latencies.append(await _key(app, "f1", lambda: isinstance(app.screen, HelpScreen)))
                latencies.append(await _key(app, "escape", lambda: isinstance(app.screen, PoolScreen)))
            await asyncio.sleep(0.2)
        await pilot.pause(0.3)
        banner = app.screen.query_one(VerdictBanner)
        assert banner.has_class("-master-lost")
        assert "MASTER LOST" in str(banner.render())
        took = time.monotonic() - started
        print(f"MASTER LOST after {took:.1f} s, {presses} presses, worst key {max(latencies) * 1000:.0f} ms")
        assert presses >= 3, "the verdict changed before the keys were tried"
        assert max(latencies) < 2.0  # a guard against a blocked console, not a speed target
        assert list(app.errors) == []


async def test_split_brain_highlights_both_masters(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="split-brain", fuse=0.3)
    app = XentuiApp(config=_config(sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: _filled(app) and _verdict(app) is Verdict.SPLIT_BRAIN, 15, "split brain")
        await pilot.pause(0.3)
        flagged = _table(app).flagged
        assert "role" in flagged["plot1"] and "role" in flagged["plot2"]
        assert "master" in flagged["plot1"]
        assert app.screen.query_one(VerdictBanner).has_class("-split-brain")
        facts = app.current_slot.source.facts
        assert facts["plot1"].role is Role.MASTER and facts["plot2"].role is Role.MASTER
