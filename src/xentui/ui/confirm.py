"""`ConfirmScreen`: the one way a dangerous command gets the admin's yes.

It shows the host and the exact command.  It confirms with F8 (or the Run
button); with ``typed=True`` only once the admin has typed the host name
exactly (then Enter in the field works too).  Esc (or Cancel) cancels.  The
screen's result is ``True`` (run it) or ``False`` (don't)::

    def run_it(ok: bool) -> None:
        if ok:
            ...

    app.push_screen(ConfirmScreen("plot2", "xe pool-recover-slaves", typed=True), run_it)
    # or, in a worker:  ok = await app.push_screen_wait(ConfirmScreen(...))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from xentui.ui.footer import refresh_footer
from xentui.ui.theme import BAD, OK

__all__ = ["ConfirmScreen", "Confirmation"]


@dataclass(frozen=True)
class Confirmation:
    """What the admin is asked: run `command` on `host` (typing the host name first when `typed`)."""

    host: str
    command: str
    typed: bool = False
    title: str = "Run this command?"
    explanation: str = ""
    dry_run: bool = False
    typed_what: str = "host name"  # what `host` is, in the prompt (a lease takeover types the holder)


class ConfirmScreen(ModalScreen[bool]):
    """Confirm one command on one host: F8 (after typing the host name when `typed`), Esc cancels."""

    BINDINGS = [
        Binding("f8", "confirm", "Run", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, host: str, command: str, **options: Any) -> None:
        super().__init__()
        self.request = Confirmation(host, command, **options)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            title = self.request.title + ("  (dry run: nothing will be run)" if self.request.dry_run else "")
            yield Label(title, id="confirm-title")
            where = Text()
            where.append("on host  ", style="bold")
            where.append(self.request.host, style="bold reverse")
            yield Static(where, id="confirm-host")
            yield Static(Text(self.request.command, style="bold"), id="confirm-command")
            if self.request.explanation:
                yield Static(self.request.explanation, id="confirm-explanation")
            if self.request.typed:
                yield Label(f"Type the {self.request.typed_what} ({self.request.host}) to confirm:", id="confirm-prompt")
                yield Input(placeholder=self.request.host, id="confirm-input", select_on_focus=False)
            yield Static(self._hint(), id="confirm-hint")
            with Horizontal(id="confirm-buttons"):
                yield Button("Run  F8", id="confirm-run", variant="error", disabled=not self.matches)
                yield Button("Cancel  Esc", id="confirm-cancel", variant="default")

    def on_mount(self) -> None:
        if self.request.typed:
            self.query_one("#confirm-input", Input).focus()
        else:
            self.query_one("#confirm-cancel", Button).focus()

    # ------------------------------------------------------------------ state
    @property
    def typed_value(self) -> str:
        if not self.request.typed:
            return ""
        return self.query_one("#confirm-input", Input).value

    @property
    def matches(self) -> bool:
        """Whether confirming is allowed now (always, unless the host name must be typed)."""
        if not self.request.typed:
            return True
        try:
            return self.typed_value == self.request.host
        except Exception:  # not composed yet
            return False

    def _hint(self) -> Text:
        t = Text()
        if not self.request.typed:
            t.append("F8", style="bold")
            t.append(" runs it · ")
        elif self.matches:
            t.append("✓ host name matches — ", style=OK)
            t.append("F8", style="bold")
            t.append(" or ")
            t.append("Enter", style="bold")
            t.append(" runs it · ")
        else:
            t.append("F8 works once the host name is typed exactly · ")
        t.append("Esc", style="bold")
        t.append(" cancels")
        return t

    @on(Input.Changed, "#confirm-input")
    def _typed_changed(self) -> None:
        self.query_one("#confirm-hint", Static).update(self._hint())
        self.query_one("#confirm-run", Button).disabled = not self.matches
        refresh_footer(self)

    @on(Input.Submitted, "#confirm-input")
    def _typed_submitted(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-run")
    def _run_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # ------------------------------------------------------------------ actions
    def action_confirm(self) -> None:
        if not self.matches:
            self.app.bell()
            self.query_one("#confirm-hint", Static).update(
                Text(f"Type {self.request.host} exactly (case matters) to confirm · Esc cancels", style=BAD)
            )
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
