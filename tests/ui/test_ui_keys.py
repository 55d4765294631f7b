"""Keys an operator could not find or reach (issue 25 point 4): the footer at 80 columns
shows `o` (onboarding) and `j` (timeline); the help overlay scrolls to its last key."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from xentui.devtools.samples import sample_app
from xentui.ui.screens.help import HelpScreen
from xentui.ui.screens.pool import PoolScreen

from helpers.keys import until


def footer_keys(screen: object) -> list[str]:
    return [k.key for k in screen.query_one(Footer).query(FooterKey)]  # type: ignore[attr-defined]


async def test_the_footer_at_80_columns_shows_o_and_j_and_keeps_f1_and_q() -> None:
    for state in ("healthy", "master-lost", "split-brain"):
        app = sample_app(state)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, PoolScreen)
            await until(lambda: "o" in footer_keys(screen), 5, "o in the footer")
            keys = footer_keys(screen)
            assert {"o", "j", "f1", "q"} <= set(keys), (state, keys)
            # every key shown fits: none is pushed past the 80th column
            for k in screen.query_one(Footer).query(FooterKey):
                assert k.region.right <= 80, (state, k.key, k.region)


async def test_the_help_overlay_scrolls_to_its_last_key_at_80x24() -> None:
    app = sample_app("split-brain")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        box = app.screen.query_one("#help-dialog", VerticalScroll)
        await pilot.pause()
        assert box.max_scroll_y > 0, "the test needs more keys than rows"
        assert box.has_focus
        await pilot.press("end")
        await until(lambda: box.scroll_y == box.max_scroll_y, 5, "the bottom of the help")
        await pilot.press("home")
        await until(lambda: box.scroll_y == 0, 5, "the top again")
        await pilot.press("pagedown")
        await until(lambda: box.scroll_y > 0, 5, "a page down")
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "closed")
