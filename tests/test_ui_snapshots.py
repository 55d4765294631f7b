"""Snapshot tests of the main states (pytest-textual-snapshot).

Deterministic: the console runs on constructed facts (`xentui.devtools.samples`:
fixed UUIDs, fixed times, a fixed clock) through a `StaticSource`, never on a
live engine.  Update after an intended change with
`pytest tests/test_ui_snapshots.py --snapshot-update`, then look at the SVGs
in tests/__snapshots__/test_ui_snapshots/.
"""

from __future__ import annotations

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
