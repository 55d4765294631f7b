"""The command palette (ctrl+p): every action of the console, the panes and the demo faults."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from xentui.ui.app import XentuiApp

#: (name, help, callback)
Command = tuple[str, str, Callable[[], object]]


def palette_commands(app: XentuiApp) -> list[Command]:
    """What the palette offers now (only what applies: unavailable panes are left out)."""
    from xentui.ui.panes import PANES
    from xentui.ui.screens.pool import PoolScreen

    cmds: list[Command] = [
        ("Refresh now", "F5: re-probe every host of the pool now", app.action_refresh),
        ("Help: every key", "F1 / ?: the help screen", app.action_help),
    ]
    pool_screen = next((s for s in app.screen_stack if isinstance(s, PoolScreen)), None)
    if pool_screen is not None:
        for spec in PANES:
            if pool_screen.check_action("open_pane", (spec.id,)):
                key = f" ({spec.key})" if spec.key else ""
                cmds.append((f"Open: {spec.title}{key}", spec.description, partial(pool_screen.action_open_pane, spec.id)))
    for name in app.pools:
        if name != app.current_pool:
            cmds.append((f"Switch to pool {name}", "show this pool", partial(app.switch_pool, name)))
    demo = app.demo
    if demo is not None and demo.running:
        host = pool_screen.selected_host if pool_screen is not None else None

        def fault(name: str, help_text: str, kind: str, what: str) -> None:
            cmds.append((name, help_text, partial(app.demo_fault, kind, what, host)))

        pulled = demo.pulled_cables()
        if pulled:
            fault("Demo: restore the cable", f"plug {', '.join(pulled)} back in (c)", "cable", "restore")
        else:
            fault("Demo: pull the master's cable", "packets dropped, connections hang (c)", "cable", "pull")
        if host is not None and host in demo.host_names():
            if demo.is_powered(host):
                fault(f"Demo: shut down {host}", "graceful shutdown of the selected host (s)", "power", "shutdown")
            else:
                fault(f"Demo: boot {host}", "power the selected host on (s)", "power", "boot")
            if demo.is_hung(host):
                fault(f"Demo: unhang the toolstack of {host}", "xapi answers again (t)", "xapi", "unhang")
            else:
                fault(f"Demo: hang the toolstack of {host}", "xapi stops answering (t)", "xapi", "hang")
        for name, text in demo.scenarios.items():
            cmds.append((f"Demo scenario: {name}", f"restart the simulator: {text}", partial(app.start_demo, name)))
    cmds.append(("Quit", "stop every probe (and the simulator) and leave (q)", app.action_quit))
    return cmds


class XentuiCommands(Provider):
    """Every console action as a palette command."""

    def _commands(self) -> list[Command]:
        try:
            return palette_commands(self.app)  # type: ignore[arg-type]
        except Exception:
            return []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
