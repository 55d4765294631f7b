"""The activity log pane: every remote command, newest last (`l`)."""

from __future__ import annotations

from xentui.ui.screens.activity import ActivityScreen
from xentui.ui.panes.spec import PaneSpec


ACTIVITY_PANE = PaneSpec(
    id="activity", key="l", title="Log", factory=lambda ctx: ActivityScreen(),
    description="the activity log: every remote command, newest last",
)
