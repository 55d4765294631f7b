"""The activity log pane: every remote command, newest last (`l`)."""

from __future__ import annotations

from textual.screen import Screen

from ..screens.activity import ActivityScreen
from .spec import PaneContext, PaneSpec


def _open(ctx: PaneContext) -> Screen[None]:
    return ActivityScreen()


ACTIVITY_PANE = PaneSpec(
    id="activity",
    key="l",
    title="Log",
    description="the activity log: every remote command, newest last",
    factory=_open,
)
