"""The incident timeline pane (`j`): the journal and the audit, read off the event loop and paged."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from textual.screen import Screen

from xentui.trail.journal import journal_path
from xentui.trail.report import read_timeline
from xentui.ui.screens.timeline import TimelineScreen
from xentui.ui.panes.spec import PaneContext, PaneSpec


def _open(ctx: PaneContext) -> Screen[None]:
    audit = ctx.settings.audit_path
    local = datetime.now().astimezone().tzinfo or UTC
    return TimelineScreen(partial(read_timeline, ctx.pool, journal_path(audit, ctx.pool), audit,
                                  list(ctx.source.facts), local))


TIMELINE_PANE = PaneSpec(
    id="timeline", key="j", title="Timeline", factory=_open,
    description="the incident timeline: what each host believed and when, every verdict and command",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (TIMELINE_PANE,)
