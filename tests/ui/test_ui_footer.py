"""The key footer is refreshed when the keys it shows change, and only then.

Every re-plan (several a second while a pool is polled) used to call
`refresh_bindings()`, and each call makes Textual's Footer recompose all its
keys. On a loaded machine the screen's queue filled with those updates and a
key press waited behind them for seconds (found by running the suite with
8 workers on 2 cores: Enter in the split-brain pane's picker went unanswered).
"""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from xentui.ui.footer import footer_state, refresh_footer
from xentui.ui.panes.splitbrain import SplitBrainScreen
from helpers.keys import sample_pane, until


def footer_keys(screen: SplitBrainScreen) -> set[str]:
    return {k.key for k in screen.query_one(Footer).query(FooterKey)}


async def test_replans_that_change_nothing_leave_the_footer_alone_and_a_change_reaches_it() -> None:
    async with sample_pane("split-brain", "h", SplitBrainScreen, size=(100, 30)) as (app, pilot, pane):
        refresh_footer(pane)  # (the first call records what the footer was last given)
        published: list[object] = []
        pane.bindings_updated_signal.subscribe(app, published.append, immediate=True)

        for _ in range(10):  # what each new diagnosis does to the pane
            pane.replan()
            await pilot.pause()
        assert published == []
        assert refresh_footer(pane) is False
        assert "o" not in footer_keys(pane)  # the majority master needs no override

        # Picking the minority master enables `o` (override): the footer is told, once, and shows it.
        pane.target = "plot1"
        pane.start_over()
        await pilot.pause(0.2)
        assert published == [pane]
        assert "o" in pane.active_bindings
        await until(lambda: "o" in footer_keys(pane), 5, "the o key in the footer")
        assert footer_state(pane) == footer_state(pane)  # a pure read, same answer twice
        assert list(app.errors) == []
