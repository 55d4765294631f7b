"""The incident timeline (`j`): the same Markdown post-mortem `xentui report` prints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown


class TimelineScreen(Screen[None]):
    """The pool's journal and audit as a post-mortem: timeline, verdicts with their facts, commands."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="timeline"):
            yield Markdown(self.markdown)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_back(self) -> None:
        self.dismiss(None)
