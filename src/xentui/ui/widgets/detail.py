"""The host pane (xsconsole's right-hand status pane): everything known about one host."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from xentui.core.config import Settings
from xentui.diagnosis import Diagnosis
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts
from xentui.ui.render import host_detail


class HostDetail(VerticalScroll):
    """Facts with how and when each was learned, the diagnosis of the host, its last commands."""

    can_focus = True

    def __init__(self, commands: int = 6, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.commands = commands
        self.host: str | None = None
        self._key: tuple[object, ...] | None = None
        self.renders = 0
        self.shown: RenderableType = ""

    def compose(self) -> ComposeResult:
        yield Static("", classes="detail-body")

    def show(
        self,
        facts: HostFacts | None,
        diagnosis: Diagnosis | None,
        settings: Settings,
        recent: Sequence[CommandResult],
        now: float,
    ) -> None:
        """Render, unless nothing shown changed since the last call (it is the costly widget)."""
        name = facts.name if facts is not None else None
        hv = diagnosis.hosts.get(name) if diagnosis is not None and name else None
        key = (
            name,
            id(facts),
            hv,
            diagnosis.recommendation if diagnosis is not None else None,
            tuple(fb for fb in diagnosis.forbidden if fb.host == name) if diagnosis is not None else (),
            len(recent),
            id(recent[-1]) if recent else None,
            int(now),
        )
        if key == self._key:
            return
        self._key = key
        self.renders += 1
        self.host = name
        self.border_title = f"host {self.host}" if self.host else "host"
        body = self.query_one(".detail-body", Static)
        self.shown = host_detail(facts, diagnosis, settings, recent, now, commands=self.commands)
        body.update(self.shown)

    def plain(self, width: int = 100) -> str:
        """What the pane shows, as plain text (tests, debugging)."""
        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        console.print(self.shown)
        return console.export_text()
