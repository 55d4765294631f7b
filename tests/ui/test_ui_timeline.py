"""The console's timeline (`j`) on a big journal (issue 25 point 1): read off the event loop, paged.

The journal is a recorded run repeated (`devtools.journal_sample`); the screen must show its
first page while the rest is still being read, read it in a worker thread (never on the
event loop's thread), keep only the lines' text, and page through it with n/p/f/l.
The timing figures are the benchmark's (`bench/timeline_bench.py`), not a test's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC
from functools import partial
from pathlib import Path

from textual.app import App

from xentui.devtools.journal_sample import write_repeated_journal
from xentui.trail.report import PAGE_ROWS, TimelineLine, read_timeline
from xentui.ui.screens.timeline import TimelineScreen

from helpers.keys import until
from helpers.paths import GOLDEN

HOSTS = [f"plot{i}" for i in range(1, 9)]


def _journal(tmp_path: Path, n: int) -> tuple[Path, Path]:
    events = [json.loads(ln) for ln in (GOLDEN / "report-journal.jsonl").read_text().splitlines()]
    audit = [json.loads(ln) for ln in (GOLDEN / "report-audit.jsonl").read_text().splitlines()]
    j, a = tmp_path / "journal-sim.jsonl", tmp_path / "audit.jsonl"
    write_repeated_journal(events, audit, n, j, a)
    return j, a


class _Host(App[None]):
    def __init__(self, screen: TimelineScreen) -> None:
        super().__init__()
        self.timeline = screen

    def on_mount(self) -> None:
        self.push_screen(self.timeline)


async def test_timeline_reads_in_a_thread_shows_page_one_first_and_pages(tmp_path: Path) -> None:
    j, a = _journal(tmp_path, 5000)
    threads: list[threading.Thread] = []
    gate = threading.Event()

    def read() -> Iterator[TimelineLine]:
        threads.append(threading.current_thread())
        for i, line in enumerate(read_timeline("sim", j, a, HOSTS, UTC)):
            if i == PAGE_ROWS * 2:
                gate.wait(10)  # hold the reader: the first page must be on screen before the rest is read
            yield line

    screen = TimelineScreen(read)
    app = _Host(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: screen.shown_page == 0 and len(screen.lines) >= PAGE_ROWS, 5, "the first page")
        assert threads and threads[0] is not threading.main_thread()
        assert not screen.done
        await until(lambda: "still reading" in app.export_screenshot().replace("&#160;", " "), 5, "the status drawn")
        first = screen.page_lines()
        assert len(first) == PAGE_ROWS and first[0].text.startswith("plot1: up")
        gate.set()
        await until(lambda: screen.done, 20, "the whole journal read")
        total = len(screen.lines)
        assert total > 3000 and screen.pages == -(-total // PAGE_ROWS)
        # every line kept is text only: no event dicts, no facts
        assert all(type(v) is str for v in (screen.lines[-1].utc, screen.lines[-1].text))
        await pilot.press("n")
        assert screen.page == 1 and screen.page_lines()[0] == screen.lines[PAGE_ROWS]
        await pilot.press("l")
        assert screen.page == screen.pages - 1
        await until(lambda: f"page {screen.pages} of {screen.pages}" in app.export_screenshot().replace("&#160;", " "),
                    5, "the last page's status drawn")
        await pilot.press("p")
        assert screen.page == screen.pages - 2
        await pilot.press("f")
        assert screen.page == 0
        # the incidents are marked where a non-healthy verdict opens one and a healthy one ends it
        kinds = [ln.text for ln in screen.lines if ln.kind == "incident"]
        assert kinds[0] == "── incident 1 begins: UNKNOWN ──" and kinds[1] == "── incident 1 ends: HEALTHY ──"


async def test_timeline_of_an_empty_journal_says_so(tmp_path: Path) -> None:
    screen = TimelineScreen(partial(read_timeline, "sim", tmp_path / "none.jsonl", tmp_path / "audit.jsonl", HOSTS))
    app = _Host(screen)
    async with app.run_test(size=(80, 24)):
        await until(lambda: screen.done, 5, "the read")
        await until(lambda: "nothing journaled" in app.export_screenshot().replace("&#160;", " "), 5, "the status")
