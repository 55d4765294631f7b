"""Snapshot tests of the main states (pytest-textual-snapshot).

Deterministic: the console runs on constructed facts (`xentui.devtools.samples`:
fixed UUIDs, fixed times, a fixed clock) through a `StaticSource`, never on a
live engine.  Update after an intended change with
`pytest tests/ui/test_ui_snapshots.py --snapshot-update`, then look at the SVGs
in tests/__snapshots__/test_ui_snapshots/.
"""

from __future__ import annotations

import io

from textual.pilot import Pilot
from textual.widgets import Input

from xentui.ui.confirm import ConfirmScreen
from xentui.devtools.samples import sample_app


def test_pool_healthy_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24))


def test_pool_master_lost_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("master-lost"), terminal_size=(80, 24))


def test_pool_split_brain_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("split-brain"), terminal_size=(80, 24))


def test_pool_ha_electing_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """HA elects: the verdict says change nothing until when; no promote offered; the HA column."""
    assert snap_compare(sample_app("ha-electing"), terminal_size=(80, 24))


def test_pool_ha_wedged_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """HA wedged: the guided disarm is the next step, with its command."""
    assert snap_compare(sample_app("ha-wedged"), terminal_size=(80, 24))


def test_ha_host_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The host pane shows the liveset as that host's own HA daemon sees it."""
    assert snap_compare(sample_app("ha-wedged"), terminal_size=(80, 24), press=["down", "enter", "pagedown"])


def test_pool_master_lost_160x48(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Wide: the host pane beside the table, the activity log below."""
    assert snap_compare(sample_app("master-lost"), terminal_size=(160, 48), press=["down"])


def test_host_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("master-lost"), terminal_size=(80, 24), press=["down", "enter"])


def test_help_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("split-brain"), terminal_size=(80, 24), press=["f1"])


def test_confirm_typed_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def open_confirm(pilot: Pilot[object]) -> None:
        pilot.app.push_screen(
            ConfirmScreen(
                "plot2",
                "/opt/xensource/bin/xe pool-recover-slaves",
                typed=True,
                title="Heal the split brain from plot2?",
                explanation="Points plot1 and every slave at plot2; plot1's changes since the split are lost.",
            )
        )
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False

    assert snap_compare(sample_app("split-brain"), terminal_size=(80, 24), run_before=open_confirm, press=list("plo"))


# --------------------------------------------------------------------------- the panes, at xsconsole's 80x24
# Each shows its verdict, the exact command line it would run and its keys without
# scrolling (the assertions on the plain text say so; the SVG pins the rest).


def _open(keys: list[str], pane_type: type, must_show: list[str]):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for key in keys:
            await pilot.press(key)
        for _ in range(100):
            if isinstance(pilot.app.screen, pane_type):
                break
            await pilot.pause(0.05)
        # the pane renders once its (recorded) facts are in: wait for it, bounded, on a loaded machine too
        for _ in range(100):
            await pilot.pause(0.1)
            shown = _screen_text(pilot.app)
            if all(words in shown for words in must_show):
                break
        for words in must_show:
            assert words in shown, (words, shown)
        # then until the screen stops changing: a loaded CI machine once rendered the storage
        # table before its columns had been widened to the rows ("465." for "465.8 GiB")
        for _ in range(50):
            await pilot.pause(0.1)
            shown, before = _screen_text(pilot.app), shown
            if shown == before:
                break
        await pilot.pause(0.3)

    return run_before


def _screen_text(app: object) -> str:
    """What the 80x24 terminal shows, as plain text."""
    from rich.console import Console

    console = Console(width=80, height=24, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return console.export_text()


XE = "/opt/xensource/bin/xe"


def test_recover_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from xentui.ui.panes.recover import RecoverScreen

    # every command of the plan on screen before F8 (issue 25 point 3), not only the first
    wait = _open(["r"], RecoverScreen, [f"{XE} pool-emergency-transition-to-master", f"on plot4: {XE} pool-recover-slaves", "F8"])
    assert snap_compare(sample_app("master-lost"), terminal_size=(80, 24), run_before=wait)


def test_split_brain_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from xentui.ui.panes.splitbrain import SplitBrainScreen

    wait = _open(["h"], SplitBrainScreen, [f"{XE} pool-recover-slaves"])
    assert snap_compare(sample_app("split-brain"), terminal_size=(80, 24), run_before=wait)


def test_designate_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from xentui.ui.panes.designate import DesignateScreen

    wait = _open(["down", "m"], DesignateScreen, [f"{XE} pool-designate-new-master", "host-uuid="])
    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24), run_before=wait)


def test_storage_pane_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The storage pane on a recorded host (sample_storage): the disks, why each is (not) free, the sr-create."""
    from xentui.devtools.samples import sample_storage
    from xentui.ui.panes.storage import StorageScreen

    class RecordedStorage(StorageScreen):
        async def _gather(self, host: str):  # type: ignore[no-untyped-def]
            return sample_storage(host)

    async def open_it(pilot: Pilot[object]) -> None:
        await pilot.pause()
        pilot.app.push_screen(RecordedStorage(pilot.app.pane_context("plot4"), host="plot4"))  # type: ignore[attr-defined]
        await _open([], RecordedStorage, [f"{XE} sr-create", "Create SR"])(pilot)

    assert snap_compare(sample_app("healthy"), terminal_size=(80, 24), run_before=open_it)
