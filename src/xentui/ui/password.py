"""`PasswordScreen`: the pool's password, asked once when its hosts refuse every other way in.

As ssh asks at a terminal: an input that never shows what is typed.  The
screen's result is the password (kept in memory by the caller) or ``None``
(Esc: the hosts stay "auth-failed").
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

__all__ = ["PasswordScreen"]


class PasswordScreen(ModalScreen[str | None]):
    """Ask the password of one pool (no echo); Enter gives it, Esc declines."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]

    def __init__(self, pool: str, why: str) -> None:
        super().__init__()
        self.pool = pool
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog"):
            yield Label(f"Password for pool {self.pool}", id="password-title")
            yield Static(self.why, id="password-why")
            yield Input(password=True, placeholder="kept in memory only, never shown or written", id="password-input")
            yield Static("Enter logs in · Esc leaves the hosts refused", id="password-hint")

    def on_mount(self) -> None:
        self.query_one("#password-input", Input).focus()

    @on(Input.Submitted, "#password-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
