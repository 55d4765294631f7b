"""The activity log: every remote command, newest last."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from ...engine.sessions import CommandResult
from ..render import activity_line

#: (pool, result, is_action) as the app publishes them
Entry = tuple[str, CommandResult, bool]


class ActivityLog(RichLog):
    """Host, command, exit status, duration of every remote command; action commands tagged."""

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

    def reset(self, entries: Iterable[Entry]) -> None:
        self.clear()
        self.lines_written = 0
        self.add(entries)
        if self.lines_written == 0:
            self.write(Text("no remote commands yet" if not self.actions_only else "no action commands yet", style="dim"))
