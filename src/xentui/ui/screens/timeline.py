"""The incident timeline (`j`): the pool's journal and audit, a page at a time.

The journal is read in a worker thread, one line at a time (`report.read_timeline`), so
a journal of any size never holds the event loop: the first page shows as soon as its
rows are read, the rest are counted in while the operator reads it.  Only the lines'
text is kept (`TimelineLine`: four short strings), never the events and their facts;
one page (`PAGE_ROWS` lines) is drawn at a time.  `xentui report` prints the same rows
as Markdown, with the facts behind every verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from xentui.trail.report import PAGE_ROWS, TimelineLine

_STYLE = {"verdict": "bold", "command": "cyan", "incident": "bold reverse", "host": ""}
#: the reader hands the GIL over every this many lines
YIELD_EVERY = 50
#: how often the reader tells the screen how far it got (s), after the first page
PROGRESS_EVERY_S = 0.25


class TimelineScreen(Screen[None]):
    """The pool's journal and audit, paged: what each host believed, every verdict and command."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "page(1)", "Next page"),
        Binding("p", "page(-1)", "Prev page"),
        Binding("f", "first", "First"),
        Binding("l", "last", "Last"),
    ]

    class Progress(Message):
        """The reader's count so far (and whether it reached the end)."""

        def __init__(self, done: bool, error: str | None = None) -> None:
            super().__init__()
            self.done = done
            self.error = error

    def __init__(self, read: Callable[[], Iterator[TimelineLine]], page_rows: int = PAGE_ROWS) -> None:
        super().__init__()
        self.read = read
        self.page_rows = page_rows
        self.lines: list[TimelineLine] = []
        self.page = 0
        self.shown_page: int | None = None
        self.done = False
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reading the journal…", id="timeline-status")
        with VerticalScroll(id="timeline"):
            yield Static("", id="timeline-page")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self._read_all()

    @work(thread=True, exclusive=True, group="timeline")
    def _read_all(self) -> None:
        worker = get_current_worker()
        told = 0.0
        try:
            for line in self.read():
                if worker.is_cancelled:
                    return
                self.lines.append(line)  # list.append is atomic: the screen reads a prefix of it
                n = len(self.lines)
                if n % YIELD_EVERY == 0:
                    time.sleep(0)  # let the event loop's thread take the GIL: keys and redraws go first
                if n == self.page_rows or (n > self.page_rows and time.monotonic() - told > PROGRESS_EVERY_S):
                    told = time.monotonic()
                    self.post_message(self.Progress(False))
        except Exception as e:  # noqa: BLE001 - an unreadable journal is said on the screen, the console goes on
            self.post_message(self.Progress(True, f"{type(e).__name__}: {e}"))
            return
        self.post_message(self.Progress(True))

    def on_timeline_screen_progress(self, message: TimelineScreen.Progress) -> None:
        self.done = message.done
        self.error = message.error
        self._show()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.lines) // self.page_rows))

    def page_lines(self) -> list[TimelineLine]:
        start = self.page * self.page_rows
        return self.lines[start:start + self.page_rows]

    def _show(self) -> None:
        total = len(self.lines)
        count = f"{total} lines" if self.done else f"{total} lines so far, still reading"
        pages = f"page {self.page + 1} of {self.pages}" + ("" if self.done else "+")
        status = f"{pages} · {count} · n/p next/previous page, f/l first/last"
        if self.error:
            status += f" · the journal could not be read to its end: {self.error}"
        elif self.done and total == 0:
            status = "nothing journaled for this pool yet"
        self.query_one("#timeline-status", Static).update(status)
        if self.shown_page == self.page and len(self.page_lines()) == getattr(self, "_shown_rows", -1):
            return
        rows = self.page_lines()
        self.shown_page, self._shown_rows = self.page, len(rows)
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False)
        table.add_column("UTC", no_wrap=True)
        table.add_column("local", no_wrap=True)
        table.add_column("what", ratio=1, overflow="fold")
        for ln in rows:
            table.add_row(ln.utc, ln.local, Text(ln.text, style=_STYLE.get(ln.kind, "")))
        self.query_one("#timeline-page", Static).update(table)

    def _go(self, page: int) -> None:
        page = max(0, min(page, self.pages - 1))
        if page != self.page:
            self.page = page
            self._show()
            self.query_one(VerticalScroll).scroll_home(animate=False)

    def action_page(self, delta: int) -> None:
        self._go(self.page + delta)

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(self.pages - 1)

    def action_back(self) -> None:
        self.workers.cancel_group(self, "timeline")
        self.dismiss(None)
