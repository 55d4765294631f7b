"""ConfirmScreen: F8 confirms, typed=True needs the exact host name, Esc cancels."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Button, Input, Label, Static

from xentui.ui.confirm import ConfirmScreen

COMMAND = "/opt/xensource/bin/xe pool-recover-slaves"


class Host(App[None]):
    """A bare app that asks with a ConfirmScreen and records each answer."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[bool] = []

    def compose(self) -> ComposeResult:
        yield Static("behind")

    def ask(self, **kwargs: Any) -> ConfirmScreen:
        screen = ConfirmScreen("plot2", COMMAND, **kwargs)
        self.push_screen(screen, self.results.append)
        return screen


def _shown(screen: ConfirmScreen) -> str:
    return " ".join(str(w.render()) for w in screen.query(Static)) + " ".join(
        str(w.render()) for w in screen.query(Label)
    )


async def test_plain_confirm_f8_esc_and_buttons() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.ask()
        await pilot.pause()
        assert app.screen is screen
        shown = _shown(screen)
        assert "plot2" in shown and COMMAND in shown  # the host and the exact command
        assert "dry run" not in shown
        await pilot.press("f8")
        await pilot.pause()
        assert app.results == [True] and app.screen is not screen

        app.ask()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [True, False]

        app.ask()
        await pilot.pause()
        await pilot.click("#confirm-cancel")
        await pilot.pause()
        app.ask()
        await pilot.pause()
        await pilot.click("#confirm-run")
        await pilot.pause()
        assert app.results == [True, False, False, True]


async def test_typed_needs_the_exact_host_name() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.ask(typed=True)
        await pilot.pause()
        run = screen.query_one("#confirm-run", Button)
        await pilot.press("f8")
        await pilot.pause()
        assert app.results == [] and run.disabled  # nothing typed: F8 does nothing
        await pilot.press(*"plot", "f8", "enter")
        await pilot.pause()
        assert app.results == []  # a prefix is not the name
        for near_miss in ("PLOT2", "plot2 ", " plot2", "plot3", "plot22"):
            screen.query_one(Input).value = near_miss
            await pilot.pause()
            await pilot.press("f8", "enter")
            await pilot.pause()
            assert app.results == [], near_miss
            assert run.disabled
        screen.query_one(Input).value = "plot"
        await pilot.press("2")
        await pilot.pause()
        assert not run.disabled
        await pilot.press("f8")
        await pilot.pause()
        assert app.results == [True]


async def test_typed_enter_confirms_and_escape_still_cancels() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.ask(typed=True)
        await pilot.pause()
        await pilot.press(*"plot2", "enter")
        await pilot.pause()
        assert app.results == [True]
        app.ask(typed=True)
        await pilot.pause()
        await pilot.press(*"plot2", "escape")
        await pilot.pause()
        assert app.results == [True, False]


async def test_dry_run_and_explanation_are_shown() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.ask(dry_run=True, explanation="Points every slave at plot2.")
        await pilot.pause()
        shown = _shown(screen)
        assert "dry run" in shown
        assert "Points every slave at plot2." in shown
