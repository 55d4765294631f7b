"""The host pane: everything known about the selected host (Enter)."""

from __future__ import annotations

from textual.screen import Screen

from xentui.ui.screens.host import HostScreen
from xentui.ui.panes.spec import PaneContext, PaneSpec


def _open(ctx: PaneContext) -> Screen[None]:
    host = ctx.host or next(iter(ctx.facts), "")
    return HostScreen(ctx.pool, host)


HOST_PANE = PaneSpec(
    id="host", key="enter", title="Host", factory=_open, needs_host=True,
    footer=False,  # the table's own Enter binding is the one shown
    description="the host pane: everything known about the selected host, its last commands",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (HOST_PANE,)
