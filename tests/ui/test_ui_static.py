"""The console on static facts: table, highlights, panes registry, help, palette, audit, fleet.

No engine here: `StaticSource` feeds constructed facts (`xentui.devtools.samples`),
`publish()` simulates arrivals.  The engine-backed behaviour is in
test_ui_live.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widgets import Static

from xentui.trail.audit import AuditLog
from xentui.diagnosis import Verdict
from xentui.core.model import CommandResult
from xentui.core.model import SshState
from xentui.ui import panes
from xentui.ui.app import XentuiApp
from xentui.ui.commands import palette_commands
from xentui.ui.panes import PANES, PaneContext, PaneSpec, register
from xentui.devtools.samples import FIXED_NOW, sample_app, sample_facts, sample_source
from xentui.ui.screens.activity import ActivityScreen
from xentui.ui.screens.help import HelpScreen
from xentui.ui.screens.host import HostScreen
from xentui.ui.screens.pool import PoolScreen
from xentui.ui.widgets import ActivityLog, FleetLine, HostDetail, HostTable, VerdictBanner
from helpers.keys import until


def _table(app: XentuiApp) -> HostTable:
    return app.screen.query_one(HostTable)


async def test_table_rows_and_banner() -> None:
    app = sample_app("healthy")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = _table(app)
        assert table.row_count == 8
        assert [str(k.value) for k in table.rows] == [f"plot{i}" for i in range(1, 9)]
        banner = app.screen.query_one(VerdictBanner)
        assert banner.verdict is Verdict.HEALTHY
        assert banner.has_class("-healthy")
        assert "Nothing to do" in str(banner.render())
        assert not app.screen.query_one(FleetLine).display  # one pool: no fleet line


async def test_narrow_hides_less_important_columns() -> None:
    app = sample_app("healthy")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = [str(c.value) for c in _table(app).columns]
        assert keys == ["host", "ssh", "role", "master", "toolstack", "emergency", "reaches", "dbgen"]
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.3)
        keys = [str(c.value) for c in _table(app).columns]
        assert {"latency", "age"} <= set(keys)
        await pilot.resize_terminal(200, 48)
        await pilot.pause(0.3)
        assert "address" in [str(c.value) for c in _table(app).columns]


async def test_split_brain_highlights_both_masters() -> None:
    app = sample_app("split-brain")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        flagged = _table(app).flagged
        assert "role" in flagged["plot1"] and "role" in flagged["plot2"]
        assert "master" in flagged["plot1"]  # follows itself, not the majority master
        assert "master" not in flagged["plot3"]
        assert all(not flagged[f"plot{i}"] for i in range(3, 9))
        assert app.screen.query_one(VerdictBanner).has_class("-split-brain")


async def test_master_lost_banner_names_the_command() -> None:
    app = sample_app("master-lost")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one(VerdictBanner).render())
        assert "MASTER LOST" in text
        assert "on plot4:" in text
        assert "xe pool-emergency-transition-to-master" in text
        assert "host-forget plot1" in text  # what not to do


async def test_arrivals_update_cells_in_place() -> None:
    app = sample_app("healthy")
    src = app._given_sources[0]
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = _table(app)
        await pilot.press("down", "down", "down")
        rebuilds = table.rebuilds
        row_keys = list(table.rows)
        for f in sample_facts("master-lost"):
            src.publish(f)
        await pilot.pause(0.3)
        assert app.current_slot.diagnosis.verdict is Verdict.MASTER_LOST
        assert table.rebuilds == rebuilds  # never cleared
        assert list(table.rows) == row_keys
        assert table.cell_updates > 0
        assert table.cursor_row == 3 and table.selected_host == "plot4"
        assert "ssh" in table.flagged["plot1"]


async def test_rediagnosis_is_throttled() -> None:
    app = sample_app("healthy", rediagnose_interval=0.3)
    src = app._given_sources[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.diagnoses
        for _ in range(10):
            for f in src.facts.values():
                src.publish(f)
            await pilot.pause(0.02)
        await pilot.pause(0.5)
        assert 1 <= app.diagnoses - before <= 4  # 80 arrivals in ~0.3 s


async def test_enter_opens_host_pane_and_escape_returns() -> None:
    app = sample_app("master-lost")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#side", HostDetail).display  # narrow: no side pane
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HostScreen)
        assert app.screen.host == "plot2"
        body = app.screen.query_one(HostDetail).plain()
        assert "cat /etc/xensource/pool.conf" in body  # how it was learned
        assert "master-unreachable" in body  # the diagnosis flags
        assert "xe pool-list" in body  # last commands
        await pilot.press("right")
        assert app.screen.host == "plot3"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PoolScreen)
        assert _table(app).selected_host == "plot2"


async def test_wide_shows_side_pane_and_log() -> None:
    app = sample_app("master-lost")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        side = app.screen.query_one("#side", HostDetail)
        assert side.display and side.host == "plot1"
        assert app.screen.query_one("#log", ActivityLog).display
        await pilot.press("down")
        await pilot.pause(0.1)
        assert side.host == "plot2"
        body = side.plain()
        assert "last seen" not in body
        await pilot.press("up")
        await pilot.pause(0.1)
        body = side.plain()
        assert "last seen" in body  # plot1 unreachable: its files are from an earlier probe


async def test_help_lists_every_key() -> None:
    app = sample_app("healthy")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = app.screen.help_rows()
        keys = " ".join(k for _, k, _ in rows)
        for k in ("⏎", "l", "f1", "?", "f5", "q", "^p", "↑"):
            assert k in keys, k
        assert all(g != "Demo (simulator)" for g, _, _ in rows)  # not a demo
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, PoolScreen)


async def test_activity_pane_and_f5() -> None:
    app = sample_app("healthy")
    src = app._given_sources[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        assert src.refreshes == 1
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ActivityScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PoolScreen)


# --------------------------------------------------------------------------- the pane registry


class DummyPane(Screen[None]):
    def __init__(self, ctx: PaneContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(f"dummy pane for {self.ctx.host}")


@pytest.fixture
def dummy_pane() -> Iterator[PaneSpec]:
    spec = register(
        PaneSpec(
            id="dummy-recover",
            key="x",
            title="Recover",
            description="a test pane, only when the master is lost",
            factory=DummyPane,
            available=lambda d: d.verdict is Verdict.MASTER_LOST,
            needs_host=True,
        )
    )
    yield spec
    PANES.remove(spec)


def test_register_refuses_duplicates(dummy_pane: PaneSpec) -> None:
    with pytest.raises(ValueError):
        register(PaneSpec(id="dummy-recover", key="y", title="t", description="d", factory=DummyPane))
    with pytest.raises(ValueError):
        register(PaneSpec(id="other", key="x", title="t", description="d", factory=DummyPane))
    assert panes.pane("dummy-recover") is dummy_pane


async def test_registered_pane_plugs_in_without_editing_the_pool_screen(dummy_pane: PaneSpec) -> None:
    app = sample_app("healthy")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PoolScreen)
        # not available while healthy: no footer entry, no palette command, the key does nothing
        assert "x" not in screen.active_bindings
        assert not any("Recover" in name for name, _, _ in palette_commands(app))
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PoolScreen)
        # the master is lost: the pane applies
        for f in sample_facts("master-lost"):
            app._given_sources[0].publish(f)
        await pilot.pause(0.5)
        assert "x" in screen.active_bindings
        assert screen.active_bindings["x"].binding.description == "Recover"
        assert any(name == "Open: Recover (x)" for name, _, _ in palette_commands(app))
        assert any(k == "x" for _, k, _ in screen.help_rows())
        await pilot.press("down", "x")
        await pilot.pause()
        pane = app.screen
        assert isinstance(pane, DummyPane)
        assert pane.ctx.host == "plot2" and pane.ctx.pool == "sim"
        assert pane.ctx.diagnosis.verdict is Verdict.MASTER_LOST
        assert pane.ctx.engine is None  # static facts
        assert pane.ctx.host_facts().name == "plot2"


async def test_a_failing_pane_is_reported_not_fatal() -> None:
    def boom(ctx: PaneContext) -> Screen[None]:
        raise RuntimeError("pane bug")

    spec = register(PaneSpec(id="broken", key="z", title="Broken", description="raises", factory=boom))
    try:
        app = sample_app("healthy")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("z")
            await pilot.pause()
            assert isinstance(app.screen, PoolScreen)
            assert any("pane bug" in e for e in app.errors)
            await pilot.press("down")  # still answering
            assert _table(app).cursor_row == 1
    finally:
        PANES.remove(spec)


# --------------------------------------------------------------------------- palette


async def test_palette_lists_actions() -> None:
    app = sample_app("healthy")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        names = [name for name, _, _ in palette_commands(app)]
        assert "Refresh now" in names
        assert "Help: every key" in names
        assert "Open: Log (l)" in names and "Open: Host (enter)" in names
        assert "Quit" in names
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"refresh", "enter")
        await pilot.pause(0.3)
        assert app._given_sources[0].refreshes == 1


# --------------------------------------------------------------------------- activity log and audit


def _result(host: str, command: str, exit_status: int = 0) -> CommandResult:
    return CommandResult(host, command, exit_status, "out\n", "", FIXED_NOW, 0.12)


async def test_probe_commands_are_logged_not_audited_actions_are(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = sample_app("healthy", audit=audit)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        on_command = app._command_callback("sim")  # what PoolEngine(on_command=...) calls
        for i in range(30):
            on_command(_result(f"plot{i % 8 + 1}", "timeout -k 2 5 /opt/xensource/bin/xe pool-list"))
        # drained into the history by the app's own timer: bounded, as a loaded CI machine needs
        await until(lambda: len(app.command_history) >= 30, 10, "the 30 probe commands in the history")
        assert len(app.command_history) == 30
        assert not audit.path.exists()  # probes repeat every poll: never audited
        log = app.screen.query_one("#log", ActivityLog)
        assert log.lines_written >= 30
        action = _result("plot2", "/opt/xensource/bin/xe pool-recover-slaves")
        on_command(action)
        record = app.pane_context("plot2").audit_command(action)
        assert record is not None and record.command.endswith("pool-recover-slaves")
        await until(lambda: any(a for _, r, a in app.command_history if r is action), 10, "the action in the history")
        records = audit.read()
        assert [r.command for r in records] == ["/opt/xensource/bin/xe pool-recover-slaves"]
        assert records[0].host == "plot2" and records[0].outcome == "ok" and records[0].exit_status == 0
        assert any(a for _, r, a in app.command_history if r is action)
        app.pane_context("plot2").audit_intent("plot2", "xe pool-recover-slaves", outcome="dry-run")
        assert [r.outcome for r in audit.read()] == ["ok", "dry-run"]


async def test_a_key_after_the_last_screen_is_gone_is_dropped_not_a_crash() -> None:
    from textual import events

    app = sample_app("healthy")  # not running: no screen on the stack, as in the console's teardown
    await app.on_event(events.Key("x", "x"))  # ScreenStackError from Textual's handler before


async def test_unwritable_audit_file_is_an_error_shown_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    app = sample_app("healthy", audit=AuditLog(blocker / "audit.jsonl"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.audit_command(_result("plot1", "xe pool-recover-slaves")) is None
        assert any("audit" in e for e in app.errors)
        await pilot.press("down")
        assert _table(app).cursor_row == 1


# --------------------------------------------------------------------------- several pools


async def test_fleet_line_lists_trouble_first_and_p_switches() -> None:
    healthy = sample_source("healthy", name="alpha")
    broken = sample_source("split-brain", name="beta")
    app = XentuiApp([healthy, broken], clock=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        fleet = app.screen.query_one(FleetLine)
        assert fleet.display
        text = str(fleet.render())
        assert text.index("beta") < text.index("alpha")  # the pool in trouble first
        assert app.current_pool == "beta"  # and shown first
        assert app.screen.query_one(VerdictBanner).verdict is Verdict.SPLIT_BRAIN
        await pilot.press("p")
        await pilot.pause()
        assert app.current_pool == "alpha"
        assert app.screen.query_one(VerdictBanner).verdict is Verdict.HEALTHY
        assert _table(app).row_count == 8


async def test_initial_pool_is_respected() -> None:
    app = XentuiApp(
        [sample_source("healthy", name="alpha"), sample_source("master-lost", name="beta")],
        initial_pool="alpha",
        clock=lambda: FIXED_NOW,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_pool == "alpha"


async def test_unreachable_host_shows_its_cause() -> None:
    facts = sample_facts("degraded")
    assert facts[6].ssh is SshState.REFUSED
    app = sample_app("degraded")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = _table(app)
        assert "ssh" in table.flagged["plot7"]
        assert str(table.get_cell("plot7", "ssh")) == "refused"
