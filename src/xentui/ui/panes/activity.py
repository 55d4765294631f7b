"""The activity log pane: every remote command, newest last (`l`)."""

from __future__ import annotations

from xentui.ui.screens.activity import ActivityScreen
from xentui.ui.panes.spec import PaneSpec


ACTIVITY_PANE = PaneSpec(
    id="activity", key="l", title="Log", factory=lambda ctx: ActivityScreen(),
    description="the activity log: every remote command, newest last",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (ACTIVITY_PANE,)
