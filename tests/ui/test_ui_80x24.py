"""At xsconsole's 80x24 (issue 25 point 3): the banner keeps to four lines, every command of a
plan is on screen before F8, and a long host name or address never runs into the next column.
The snapshots (tests/ui/test_ui_snapshots.py, 80x24) pin the layout; these say what must hold."""

from __future__ import annotations

from xentui.actions.recover.candidates import CandidateOption
from xentui.actions.splitbrain.plan import MasterInfo
from xentui.devtools.samples import sample_app
from xentui.ui.panes.recover import RecoverScreen, _option_prompt
from xentui.ui.panes.splitbrain import _master_prompt
from xentui.ui.widgets import VerdictBanner

from helpers.keys import until

XE = "/opt/xensource/bin/xe"


async def test_the_banner_keeps_to_four_lines_at_80_columns_and_says_everything_at_160() -> None:
    for state in ("healthy", "master-lost", "split-brain"):
        for size, most in (((80, 24), 4), ((160, 48), 8)):
            app = sample_app(state)
            async with app.run_test(size=size) as pilot:
                await pilot.pause(0.2)
                banner = app.screen.query_one(VerdictBanner)
                assert banner.region.height <= most, (state, size, banner.region)
                text = str(banner.render())
                if state != "healthy":  # the command the verdict advises, whole, at either width
                    assert f"{XE} pool-" in text, (state, text)


async def test_the_recover_pane_at_80x24_shows_every_command_of_its_plan() -> None:
    app = sample_app("master-lost")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, RecoverScreen), 5, "the recover pane")
        pane = app.screen
        await until(lambda: pane.plan is not None, 5, "the plan")  # type: ignore[attr-defined]
        box = pane.query_one("#pane-next")
        await pilot.pause(0.2)
        shown = str(box.render())
        for step in pane.plan.steps:  # type: ignore[attr-defined]
            assert f"on {step.host}: {step.command}" in shown, shown
        assert box.region.height >= len(pane.plan.steps) and box.region.bottom <= 24  # type: ignore[attr-defined]


def test_a_long_name_keeps_a_space_before_the_next_column() -> None:
    c = CandidateOption(name="10.77.0.9", qualifies=True, db_generation=48901, latency_ms=3.0)
    assert "10.77.0.9 gen 48901" in _option_prompt(c, False).plain
    m = MasterInfo(name="10.77.0.19", majority=True, followers=["plot2"], db_generation=48901)
    assert "10.77.0.19  majority" in _master_prompt(m, False, True, 8).plain
    short = CandidateOption(name="plot4", qualifies=True, db_generation=4812, latency_ms=61.0)
    assert "plot4   gen 4812" in _option_prompt(short, False).plain  # the short names line up as before
