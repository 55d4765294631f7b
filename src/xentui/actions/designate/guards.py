"""The handover as a kind of step: command, guard rails, read-back, its errors in words (registered on import)."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.facts_rules import host_is_live
from xentui.core.model import CommandResult, HostFacts
from xentui.xe import commands as xc

from xentui.actions.designate.errors import explain_designate_error
from xentui.actions.kinds import ReadBack, register_step
from xentui.actions.plan import Step, StepAction
from xentui.actions.runner import RunReport


def _designate_late(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    if diagnosis is not None and diagnosis.verdict is Verdict.SPLIT_BRAIN:
        return "two hosts hold master: heal the split brain first"
    down = [why for f in facts.values() for live, why in [host_is_live(f)] if not live]
    if down:
        return "; ".join(down) + ": the handover needs every host and would abort with HOST_OFFLINE"
    return None


async def _verify_designate(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: RunReport, deadline: float
) -> tuple[bool | None, str]:
    """Re-probe the pool until every reachable host follows the designated master."""
    ok, text, lagging = await run.settle(i, step.new_master or step.host, deadline)
    report.not_following = lagging
    return ok, text


register_step(
    StepAction.DESIGNATE_NEW_MASTER, lambda s: xc.pool_designate_new_master(s.target_uuid or ""), late=_designate_late,
    verify=_verify_designate,
    explain=lambda step, cr, facts: explain_designate_error(cr.stderr, facts, step.new_master),
)
