"""The host pane as its own screen (narrow terminals; Enter on a row)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from xentui.ui.errors import guarded
from xentui.ui.widgets.activity import Entry
from xentui.ui.widgets.detail import HostDetail


class HostScreen(Screen[None]):
    """Everything known about one host; ← → switch hosts, F5 re-probes it, Esc back."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("left", "step(-1)", "Prev", priority=True),
        Binding("right", "step(1)", "Next", priority=True),
        Binding("f5", "refresh_host", "Re-probe", priority=True),
    ]

    def __init__(self, pool: str, host: str) -> None:
        super().__init__()
        self.pool = pool
        self.host = host

    def compose(self) -> ComposeResult:
        yield Header()
        yield HostDetail(commands=12, id="host-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        app = self.app
        app.pool_changed.subscribe(self, self._pool_changed)  # type: ignore[attr-defined]
        app.commands_ran.subscribe(self, self._commands)  # type: ignore[attr-defined]
        self.set_interval(1.0, self.render_host)
        self.render_host()
        self.query_one(HostDetail).focus()

    def _pool_changed(self, pool: str) -> None:
        if pool == self.pool:
            self.render_host()

    def _commands(self, batch: list[Entry]) -> None:
        if any(p == self.pool and r.host == self.host for p, r, _ in batch):
            self.render_host()

    @guarded("rendering the host pane")
    def render_host(self) -> None:
        slot = self.app.pools.get(self.pool)  # type: ignore[attr-defined]
        detail = self.query_one(HostDetail)
        if slot is None:
            detail.show(None, None, self.app.settings, [], self.app.clock())  # type: ignore[attr-defined]
            return
        src = slot.source
        detail.show(slot.facts.get(self.host), slot.diagnosis, src.settings, src.recent(self.host), self.app.clock())  # type: ignore[attr-defined]
        self.sub_title = f"host {self.host} · pool {self.pool}"

    def action_step(self, delta: int) -> None:
        slot = self.app.pools.get(self.pool)  # type: ignore[attr-defined]
        if slot is None:
            return
        names = list(slot.facts)
        if not names:
            return
        i = names.index(self.host) if self.host in names else 0
        self.host = names[(i + delta) % len(names)]
        self.render_host()
        self.query_one(HostDetail).scroll_home(animate=False)

    def action_refresh_host(self) -> None:
        slot = self.app.pools.get(self.pool)  # type: ignore[attr-defined]
        if slot is not None:
            slot.source.refresh(self.host)
            self.notify(f"re-probing {self.host}", timeout=2)

    def action_back(self) -> None:
        self.dismiss(None)
