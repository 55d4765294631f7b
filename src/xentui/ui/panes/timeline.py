"""The incident timeline pane (`j`): the journal and the audit as `xentui report` renders them."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.screen import Screen

from ...audit import AuditLog
from ...journal import journal_path, read_journal
from ...report import render_report
from ..screens.timeline import TimelineScreen
from .spec import PaneContext, PaneSpec


def _open(ctx: PaneContext) -> Screen[None]:
    audit = ctx.settings.audit_path
    events = read_journal(journal_path(audit, ctx.pool))
    local = datetime.now().astimezone().tzinfo or UTC
    text = render_report(ctx.pool, events, AuditLog(audit).read(), list(ctx.source.facts), local=local)
    return TimelineScreen(text)


TIMELINE_PANE = PaneSpec(
    id="timeline", key="j", title="Timeline", factory=_open,
    footer=False,  # in the help screen and the palette; the footer keeps the incident's keys
    description="the incident timeline: what each host believed and when, every verdict and command",
)
