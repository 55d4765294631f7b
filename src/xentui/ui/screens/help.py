"""The help screen: every key of the screen it was opened from, grouped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from xentui.ui.theme import CMD, FLAG, STALE

#: (group, keys, what it does)
HelpRow = tuple[str, str, str]

LEGEND = (
    (FLAG, " plot1 ",
     "a cell that disagrees with the majority (a second master, another master followed, no answer)"),
    (STALE, "4811", "a stale value: kept from an earlier probe, the host could not be asked again"),
    ("", "…", "being probed: not known yet"),
)


class HelpScreen(ModalScreen[None]):
    """Every key, grouped by where it applies; Esc, F1 or ? closes."""

    BINDINGS = [
        Binding("escape", "close", "Close", priority=True),
        Binding("f1", "close", "Close", show=False, priority=True),
        Binding("question_mark", "close", "Close", show=False, priority=True),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, rows: Sequence[HelpRow], title: str = "xentui — keys") -> None:
        super().__init__()
        self.rows = list(rows)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = "↑↓ PgUp PgDn Home End scroll · Esc closes"
            yield Static(self._render_rows(), id="help-body")

    def on_mount(self) -> None:
        # focused, so the arrows and page keys scroll it: on a short terminal the keys run past its bottom
        self.query_one("#help-dialog", VerticalScroll).focus()

    def _render_rows(self) -> Group:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
        table.add_column("keys", style=CMD, no_wrap=True)
        table.add_column("what", ratio=1)
        group = None
        for g, keys, what in self.rows:
            if g != group:
                table.add_row(Text(g, style="bold underline"), "")
                group = g
            table.add_row(keys, what)
        legend = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
        legend.add_column("sample", no_wrap=True)
        legend.add_column("meaning", ratio=1)
        for style, sample, meaning in LEGEND:
            legend.add_row(Text(sample, style=style), meaning)
        return Group(table, Text(""), Text("In the table", style="bold underline"), legend)

    def action_close(self) -> None:
        self.dismiss(None)


def screen_help_rows(screen: object) -> list[HelpRow]:
    """Every described key of a screen's binding chain (focused widget, screen, app)."""
    app = screen.app
    rows: list[HelpRow] = []
    seen: set[tuple[str, str]] = set()
    for namespace, bindings in screen._modal_binding_chain:
        group = "Everywhere" if namespace is app else ("This screen" if namespace is screen else "Focused area")
        for _key, binding in bindings:
            if not binding.description or binding.system:
                continue
            k = app.get_key_display(binding)
            if (k, binding.description) in seen:
                continue
            seen.add((k, binding.description))
            rows.append((group, k, binding.description))
    order = ["This screen", "Focused area", "Everywhere"]
    return sorted(rows, key=lambda r: order.index(r[0]))
