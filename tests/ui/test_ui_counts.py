"""Counts and reasons that must agree with each other (issue 25 point 7)."""

from __future__ import annotations

from xentui.actions.runner import RunReport, StepResult, StepStatus
from xentui.actions.splitbrain import plan_heal_split_brain
from xentui.diagnosis import diagnose_pool
from xentui.core.model import Role
from xentui.ui.panes.plan_render import follows_text, steps_text

from helpers.facts import down, pool, split


def test_a_refused_step_says_why_it_was_refused_not_why_it_was_planned() -> None:
    facts = split(minority=1, majority=2)
    d = diagnose_pool(facts)
    by_name = {f.name: f for f in facts}
    plan = plan_heal_split_brain(by_name, d)
    step = plan.steps[0]
    refusal = "plot1 is not the master the pool follows: recover-slaves there would hand the pool to the minority"
    report = RunReport(title=plan.title, kind=plan.kind, results=[StepResult(
        index=0, host=step.host, action=step.action, command=step.command, status=StepStatus.REFUSED,
        explanation=refusal)])
    text = steps_text(plan, report=report).plain
    assert f"why refused: {refusal}" in text
    assert f"\n    why: {step.why}" not in text and f"planned because: {step.why}" in text
    # a step that ran keeps its plain "why"
    ok = RunReport(title=plan.title, kind=plan.kind, results=[StepResult(
        index=0, host=step.host, action=step.action, command=step.command, status=StepStatus.OK)])
    assert f"why: {step.why}" in steps_text(plan, report=ok).plain


def test_an_unreachable_host_is_never_called_master_under_a_verdict_of_now() -> None:
    facts = pool(plot8=down(8, role=Role.MASTER))
    d = diagnose_pool(facts)
    assert "plot8" in d.masters  # the diagnosis keeps it as a master (last seen)
    text = follows_text(d, {f.name: f for f in facts}).plain
    assert "plot8 master" not in text
    assert "plot8 was master when last seen (unreachable)" in text
