"""The activity log: every remote command, newest last — and, in the activity view, the notes of
what a pane said and then replaced (an onboarding step's earlier outcomes)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import RichLog

from xentui.core.model import CommandResult
from xentui.ui.render import activity_line, activity_note_line

#: (pool, result, is_action) as the app publishes them
Entry = tuple[str, CommandResult, bool]


@dataclass(frozen=True)
class ActivityNote:
    """An outcome a pane showed for a host (`✗ 1 check(s) block the join`, a refused file, a join's
    result): the pane keeps only each step's latest; the activity view keeps them all, in order.
    Not a command: nothing ran because of it, and it is never in the `a` (audited actions) view."""

    pool: str
    host: str
    text: str  # plain text, possibly several lines
    at: float  # wall clock (time.time()), as CommandResult.started
    source: str = "onboarding"  # the pane that said it


class ActivityLog(RichLog):
    """Host, command, exit status, duration of every remote command; action commands tagged.

    Notes (`ActivityNote`) are written by the activity view only (`add_notes`, `reset` with notes),
    in the full view: the `a` filter shows the audited action commands alone.
    """

    def __init__(self, show_pool: bool = False, wrap: bool = False, **kwargs: object) -> None:
        super().__init__(max_lines=2000, wrap=wrap, markup=False, highlight=False, auto_scroll=True, **kwargs)  # type: ignore[arg-type]
        self.show_pool = show_pool
        self.actions_only = False
        self.lines_written = 0
        self.border_title = "activity"

    def add(self, entries: Iterable[Entry]) -> None:
        for pool, result, action in entries:
            if self.actions_only and not action:
                continue
            self.write(activity_line(pool if self.show_pool else None, result, action))
            self.lines_written += 1

    def add_notes(self, notes: Iterable[ActivityNote]) -> None:
        if self.actions_only:
            return
        for note in notes:
            self.write(activity_note_line(note.pool if self.show_pool else None, note))
            self.lines_written += 1

    def reset(self, entries: Iterable[Entry], notes: Iterable[ActivityNote] = ()) -> None:
        """Everything again: the commands in the order they came, each note before the first command
        that started after it was said (a merge: neither sequence is reordered)."""
        self.clear()
        self.lines_written = 0
        timed = heapq.merge(((r.started, 0, (p, r, a)) for p, r, a in entries),
                            ((n.at, 1, n) for n in notes), key=lambda x: (x[0], x[1]))
        for _at, kind, item in timed:
            if kind:
                self.add_notes([item])  # type: ignore[list-item]
            else:
                self.add([item])  # type: ignore[list-item]
        if self.lines_written == 0:
            self.write(Text("no remote commands yet" if not self.actions_only else "no action commands yet", style="dim"))
