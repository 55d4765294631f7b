"""The pool screen (home): verdict banner, host table, host pane, activity log.

At 80x24 the banner, the table and the footer fill the screen and Enter opens
the host pane as its own screen.  From 120 columns the host pane sits beside
the table; from 36 rows the activity log shows below.  Panes come from the
registry (`ui.panes.PANES`): their keys, footer entries, help lines and
palette commands are made here from it, so a new pane never edits this file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header

from xentui.diagnosis import Diagnosis, Verdict
from xentui.ui.errors import guarded
from xentui.ui.footer import refresh_footer
from xentui.ui.panes import PANES, pane
from xentui.ui.render import row_view
from xentui.ui.widgets import ActivityLog, FleetLine, HostDetail, HostTable, VerdictBanner
from xentui.ui.widgets.activity import Entry
from xentui.ui.screens.help import HelpRow

if TYPE_CHECKING:
    from xentui.ui.app import XentuiApp

#: Diagnosis handed to panes' `available()` before the first facts arrive
NO_FACTS = Diagnosis(verdict=Verdict.UNKNOWN, summary="No facts yet.")

#: the host pane beside the table is re-rendered at most this often (it is the costly widget)
SIDE_INTERVAL = 0.5

_MOVES = {"cursor_up", "cursor_down", "cursor_left", "cursor_right", "page_up", "page_down",
          "page_left", "page_right", "scroll_top", "scroll_bottom", "scroll_home", "scroll_end"}


#: the width from which the demo's fault keys join the footer (below it they would push F1 and q off)
DEMO_KEYS_MIN_WIDTH = 110


class PoolScreen(Screen[None]):
    """One pool at a glance; `p` switches pools when the config holds several."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    BINDINGS = [
        Binding("p", "next_pool", "Next pool"),
        # the demo's fault keys (hidden outside the demo); each key toggles
        Binding("c", "demo_cable('pull')", "Unplug"),
        Binding("c", "demo_cable('restore')", "Replug"),
        Binding("s", "demo_power('shutdown')", "Down"),
        Binding("s", "demo_power('boot')", "Boot"),
        Binding("t", "demo_xapi('hang')", "Hang"),
        Binding("t", "demo_xapi('unhang')", "Unhang"),
        Binding("a", "demo_ha('enable')", "HA on", show=False),  # then c: HA elects by itself
        Binding("w", "demo_ha('wedge')", "Wedge HA", show=False),  # then c: HA cannot elect (wedged)
        Binding("n", "demo_scenario", "Scenario", show=False),  # in help and the palette: the footer is full at 80 columns
    ]

    def __init__(self) -> None:
        super().__init__()
        for spec in PANES:
            if spec.key:
                self._bindings.bind(spec.key, f"open_pane({spec.id!r})", spec.title, show=spec.footer)
        self._shown_diagnosis: object = None
        self._log_stale = True
        self._side_timer: object = None

    @property
    def xapp(self) -> XentuiApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield FleetLine(id="fleet")
        yield VerdictBanner(id="banner")
        with Horizontal(id="main"):
            yield HostTable(id="hosts")
            yield HostDetail(id="side")
        yield ActivityLog(id="log")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        app = self.xapp
        app.pool_changed.subscribe(self, self._pool_changed)
        app.pools_replaced.subscribe(self, self._pools_replaced)
        app.commands_ran.subscribe(self, self._commands)
        self.set_interval(1.0, self._tick)
        self.query_one(HostTable).focus()
        self.render_all()

    # ------------------------------------------------------------------ state
    @property
    def table(self) -> HostTable:
        return self.query_one(HostTable)

    @property
    def selected_host(self) -> str | None:
        return self.table.selected_host

    @property
    def diagnosis(self) -> Diagnosis:
        slot = self.xapp.current_slot
        return slot.diagnosis if slot is not None and slot.diagnosis is not None else NO_FACTS

    # ------------------------------------------------------------------ rendering
    def _pool_changed(self, pool: str) -> None:
        self.render_all(banner=pool == self.xapp.current_pool)

    def _pools_replaced(self, _: object = None) -> None:
        self.table.reset()  # another pool: rebuild the rows once
        self._shown_diagnosis = None
        self._log_stale = True
        self.render_all()

    def _tick(self) -> None:
        self.render_all(banner=False)

    @on(HostTable.TierChanged)
    def _tier_changed(self) -> None:
        self.render_all(banner=False)

    def render_all(self, banner: bool = True) -> None:
        """Banner, fleet line, table rows (diffed), side pane; never raises."""
        try:
            self._update_view(banner)
        except Exception as e:  # a rendering bug must not take the console down
            self.xapp.report_error("rendering the pool screen", e)

    def _update_view(self, banner: bool) -> None:
        app = self.xapp
        slot = app.current_slot
        fleet = self.query_one(FleetLine)
        fleet.display = len(app.pools) > 1
        if fleet.display:
            fleet.show([(s.name, s.diagnosis) for s in app.pools.values()], app.current_pool or "")
        d = slot.diagnosis if slot is not None else None
        if banner or d is not self._shown_diagnosis:
            self.query_one(VerdictBanner).show(d, slot.name if slot else "", status=app.status_line(slot))
            self._shown_diagnosis = d
        table = self.table
        if slot is None:
            table.sync({})
        else:
            facts = slot.facts  # as the diagnosis saw them (the engine's event), not the engine's live dict
            dd = d or NO_FACTS
            now = app.clock()
            wide = table.tier >= 1
            settings = slot.source.settings
            table.power = any(f.power is not None for f in facts.values())
            table.sync({name: row_view(f, dd, facts, settings, now, wide) for name, f in facts.items()})
        self._render_side()
        refresh_footer(self)

    def _render_side(self, now: bool = False) -> None:
        """Re-render the host pane: at once (`now`), else at most every `SIDE_INTERVAL` s."""
        if now:
            self._flush_side()
            return
        if self._side_timer is None:
            self._side_timer = self.set_timer(SIDE_INTERVAL, self._flush_side, name="side")

    @guarded("rendering the host pane")
    def _flush_side(self) -> None:
        self._side_timer = None
        side = self.query_one("#side", HostDetail)
        if not side.display:
            return
        app = self.xapp
        slot = app.current_slot
        host = self.selected_host
        if slot is None or host is None:
            side.show(None, None, app.settings, [], app.clock())
            return
        src = slot.source
        side.show(slot.facts.get(host), slot.diagnosis, src.settings, src.recent(host), app.clock())

    # ------------------------------------------------------------------ the activity log
    @guarded("showing the activity log")
    def _commands(self, batch: list[Entry]) -> None:
        log = self.query_one("#log", ActivityLog)
        if not log.display or log.size.width == 0:
            self._log_stale = True
            return
        if self._log_stale:
            log.reset(self.xapp.command_history)
            self._log_stale = False
        else:
            log.add(batch)
        host = self.selected_host
        slot = self.xapp.current_slot
        if slot is not None and any(p == slot.name and r.host == host for p, r, _ in batch):
            self._render_side()

    def on_resize(self) -> None:
        self._fit_footer()
        self.call_after_refresh(self._after_resize)

    def _fit_footer(self) -> None:
        """The demo's fault keys (c s t) in the footer only where they fit beside the console's own.

        At 80 columns the footer holds the console's keys (o onboarding and j timeline
        included) and no more; the fault keys still work there, and F1 lists them.
        """
        show = self.size.width >= DEMO_KEYS_MIN_WIDTH
        kb = self._bindings.key_to_bindings
        for key in ("c", "s", "t"):
            kb[key] = [replace(b, show=show) if b.action.startswith("demo_") else b for b in kb.get(key, [])]
        refresh_footer(self)

    @guarded("resizing the pool screen")
    def _after_resize(self) -> None:
        log = self.query_one("#log", ActivityLog)
        if log.display and self._log_stale:
            log.reset(self.xapp.command_history)
            self._log_stale = False
        self._render_side(now=True)

    # ------------------------------------------------------------------ table events
    @on(HostTable.RowHighlighted)
    @guarded("selecting a host")
    def _highlighted(self) -> None:
        self._render_side(now=True)
        refresh_footer(self)

    @on(HostTable.RowSelected)
    def _selected(self) -> None:
        self.action_open_pane("host")

    # ------------------------------------------------------------------ bindings
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        app = self.xapp
        if action == "next_pool":
            return len(app.pools) > 1
        if action == "open_pane":
            try:
                spec = pane(str(parameters[0]))
            except (KeyError, IndexError):
                return False
            if spec.needs_host and self.selected_host is None:
                return False
            try:
                return bool(spec.available(self.diagnosis))
            except Exception:
                return False
        if action.startswith("demo_"):
            demo = app.demo
            if demo is None:
                return False
            if not demo.running:
                return None if action == "demo_scenario" else False
            what = str(parameters[0]) if parameters else ""
            if action == "demo_cable":
                pulled = bool(demo.pulled_cables())
                return pulled if what == "restore" else not pulled
            if action == "demo_ha":
                return demo.ha_state() == ("off" if what == "enable" else "armed")
            host = self.selected_host
            if host is None or host not in demo.host_names():
                return False
            if action == "demo_power":
                return demo.is_powered(host) == (what == "shutdown")
            if action == "demo_xapi":
                return demo.is_hung(host) == (what == "unhang")
        return True

    def help_rows(self) -> list[HelpRow]:
        """Every key that applies on this screen, from the live binding chain."""
        app = self.xapp
        rows: list[HelpRow] = []
        seen: set[tuple[str, str]] = set()
        keys_seen: set[str] = set()
        moves = False
        for namespace, bindings in self._modal_binding_chain:
            for _key, binding in bindings:
                action = binding.action
                if action in _MOVES:
                    moves = True
                    continue
                if not binding.description or binding.system or action in _SKIP:
                    continue
                if action.startswith("open_pane("):
                    spec_id = action[len("open_pane("):-1].strip("'\"")
                    try:
                        spec = pane(spec_id)
                    except KeyError:
                        continue
                    group, what = "Panes", spec.description
                elif action.startswith("demo_"):
                    if app.demo is None:
                        continue
                    group, what = "Demo (simulator)", _DEMO_HELP.get(action, binding.description)
                elif namespace is self.table:
                    group, what = "Host table", _TABLE_HELP.get(action, binding.description)
                elif namespace is app:
                    group, what = "Everywhere", _APP_HELP.get(action, binding.description)
                else:
                    if action == "next_pool" and len(app.pools) < 2:
                        continue
                    group, what = "Pool screen", _SCREEN_HELP.get(action, binding.description)
                k = app.get_key_display(binding)
                if (k, what) in seen or (group == "Panes" and k in keys_seen):
                    continue
                seen.add((k, what))
                keys_seen.add(k)
                rows.append((group, k, what))
        if moves:
            what = "move the cursor (mouse: click a row, click again for details)"
            rows.insert(0, ("Host table", "↑ ↓ PgUp PgDn Home End", what))
        order = ["Host table", "Panes", "Pool screen", "Demo (simulator)", "Everywhere"]
        by_key: dict[tuple[str, str], list[str]] = {}  # one key, several toggled meanings
        for group, k, what in rows:
            by_key.setdefault((group, k), []).append(what)
        merged: dict[tuple[str, str], list[str]] = {}  # one meaning, several keys
        for (group, k), whats in by_key.items():
            merged.setdefault((group, " / ".join(whats)), []).append(k)
        out = [(g, " / ".join(dict.fromkeys(ks)), w) for (g, w), ks in merged.items()]
        return sorted(out, key=lambda r: order.index(r[0]) if r[0] in order else len(order))

    # ------------------------------------------------------------------ actions
    def action_open_pane(self, pane_id: str) -> None:
        try:
            spec = pane(pane_id)
            if spec.needs_host and self.selected_host is None:
                self.notify("Select a host first.", severity="warning")
                return
            screen = spec.factory(self.xapp.pane_context(self.selected_host))
        except Exception as e:
            self.xapp.report_error(f"opening pane {pane_id!r}", e)
            return
        self.xapp.push_screen(screen)

    @guarded("switching pools")
    def action_next_pool(self) -> None:
        self.xapp.next_pool()

    def action_demo_cable(self, what: str) -> None:
        self.xapp.demo_fault("cable", what, self.selected_host)

    def action_demo_power(self, what: str) -> None:
        self.xapp.demo_fault("power", what, self.selected_host)

    def action_demo_xapi(self, what: str) -> None:
        self.xapp.demo_fault("xapi", what, self.selected_host)

    def action_demo_ha(self, what: str) -> None:
        self.xapp.demo_fault("ha", what, self.selected_host)

    def action_demo_scenario(self) -> None:
        self.xapp.choose_scenario()


_DEMO_HELP = {
    "demo_cable('pull')": "pull the master's network cable (packets dropped: the field story)",
    "demo_cable('restore')": "plug it back in",
    "demo_power('shutdown')": "shut the selected host down (graceful: slaves keep waiting)",
    "demo_power('boot')": "boot it",
    "demo_xapi('hang')": "hang the selected host's toolstack (xapi stops answering)",
    "demo_xapi('unhang')": "let it answer again",
    "demo_ha('enable')": "enable HA on the simulated pool (then c: HA elects a master by itself)",
    "demo_ha('wedge')": "wedge HA: a lost master keeps the master lock (then c: nobody can be elected)",
    "demo_scenario": "restart the simulator with another scenario",
}
_TABLE_HELP = {"select_cursor": "the host pane: everything known about the selected host"}
_SCREEN_HELP = {
    "next_pool": "switch to the next pool (pools in trouble first)",
    "app.focus_next": "move the focus (host table, host pane, log)",
    "app.focus_previous": "move the focus back",
    "focus_next": "move the focus (host table, host pane, log)",
    "focus_previous": "move the focus back",
}
_APP_HELP = {
    "quit": "quit (stops every probe, and the simulator in the demo)",
    "help": "this help",
    "refresh": "re-probe every host of the pool now",
    "command_palette": "command palette: every action by name",
}
_SKIP = {"screen.copy_text", "copy_text", "app.copy_text"}

