"""80x24 snapshots of issue 28's screens on recorded facts (fixed clock): the POWER column of a pool
whose hosts have BMCs (plot1 fenced: Off), and the stranded-VM pane (the VMs, the fence, the steps)."""

from __future__ import annotations

import io

from textual.pilot import Pilot

from xentui.devtools.samples import sample_app, sample_stranded

XE = "/opt/xensource/bin/xe"


def _screen_text(app: object) -> str:
    from rich.console import Console

    console = Console(width=80, height=24, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return console.export_text()


def test_pool_power_column_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def check(pilot: Pilot[object]) -> None:
        await pilot.pause(0.3)
        shown = _screen_text(pilot.app)
        assert "POWER" in shown and "Off " in shown and "On " in shown and "DB GEN" in shown, shown

    assert snap_compare(sample_app("fenced"), terminal_size=(80, 24), run_before=check)


def test_pool_without_bmc_has_no_power_column() -> None:
    import asyncio

    async def go() -> None:
        app = sample_app("healthy")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert "POWER" not in _screen_text(pilot.app)

    asyncio.run(go())


def test_stranded_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from xentui.ui.panes.stranded import StrandedScreen

    class RecordedStranded(StrandedScreen):
        async def _gather(self, master: str, lost: str):  # type: ignore[no-untyped-def]
            return sample_stranded(), None

    async def open_it(pilot: Pilot[object]) -> None:
        await pilot.pause()
        pilot.app.push_screen(RecordedStranded(pilot.app.pane_context("plot1")))  # type: ignore[attr-defined]
        shown = ""
        for _ in range(100):
            await pilot.pause(0.1)
            shown = _screen_text(pilot.app)
            if "web1" in shown and f"{XE} vm-reset-powerstate" in shown:
                break
        assert "web1" in shown and "BMC says Off 12s ago" in shown and "(12 s ago)" in shown, shown
        assert f"{XE} vm-reset-powerstate" in shown, shown
        await pilot.pause(0.3)

    assert snap_compare(sample_app("fenced"), terminal_size=(80, 24), run_before=open_it)
