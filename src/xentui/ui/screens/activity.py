"""The activity log as its own screen: every remote command, newest last, and the notes of what
panes said and replaced (an onboarding step's earlier outcomes) — in the full view only."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from xentui.ui.errors import guarded
from xentui.ui.widgets.activity import ActivityLog, ActivityNote, Entry


class ActivityScreen(Screen[None]):
    """Full-screen activity log with the panes' notes; `a` shows only the audited action commands
    (no notes: a note is not something that ran)."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "toggle_actions", "Actions only"),
        Binding("end", "follow", "Follow", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ActivityLog(show_pool=len(self.app.pools) > 1, wrap=True, id="activity-full")  # type: ignore[attr-defined]
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        log = self.query_one(ActivityLog)
        log.reset(self.app.command_history, self.app.notes)  # type: ignore[attr-defined]
        self.app.commands_ran.subscribe(self, self._commands)  # type: ignore[attr-defined]
        self.app.notes_added.subscribe(self, self._notes)  # type: ignore[attr-defined]
        log.focus()

    @guarded("showing the activity log")
    def _commands(self, batch: list[Entry]) -> None:
        self.query_one(ActivityLog).add(batch)

    @guarded("showing the activity log")
    def _notes(self, notes: list[ActivityNote]) -> None:
        self.query_one(ActivityLog).add_notes(notes)

    def action_toggle_actions(self) -> None:
        log = self.query_one(ActivityLog)
        log.actions_only = not log.actions_only
        log.border_title = "activity: audited actions only" if log.actions_only else "activity"
        log.reset(self.app.command_history, self.app.notes)  # type: ignore[attr-defined]

    def action_follow(self) -> None:
        self.query_one(ActivityLog).scroll_end(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)
