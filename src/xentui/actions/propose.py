"""The plan the console proposes for a diagnosis (what `xentui plan` prints).

* healthy -> a plan with no steps;
* split-brain -> `plan_heal_split_brain`;
* master-lost -> `plan_promote_and_recover` (blocked, with the reason, when
  the diagnosis recommends something else first: restart the hung master's
  toolstack, confirm from the slaves, HA…); when the recommendation has a
  command of its own (restart-toolstack), that one step is proposed and the
  promotion's checks are shown with it;
* ha-electing -> a plan with no steps: wait until the window ends (what is forbidden, and why);
* ha-wedged -> `ha.plan_ha_disable` (disarm every survivor; the promote comes after);
* ha-recovered -> nothing to do;
* degraded / unknown -> the diagnosis's recommendation as one step when it
  has a command (reset-master, restart-toolstack), else no steps and what to
  look at.

Designating a new master is never proposed: it is planned maintenance the
admin asks for (`designate.plan_designate_master`).
"""

from __future__ import annotations

import shlex

from xentui.diagnosis import Action, Diagnosis, Verdict

from xentui.actions.guards import plan_header
from xentui.actions.plan import (
    Check,
    FactsLike,
    Plan,
    Step,
    StepAction,
    action_of,
    facts_by_name,
    forbidden_checks,
)
from xentui.actions.ha import plan_ha_disable
from xentui.actions.power import fence_first
from xentui.actions.recover import plan_promote_and_recover
from xentui.actions.splitbrain import plan_heal_split_brain

__all__ = ["plan_from_recommendation", "propose_plan"]


def _address_in(command: str) -> str | None:
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for w in words:
        if w.startswith("master-address="):
            return w.split("=", 1)[1]
    return None


def plan_from_recommendation(facts: FactsLike, diagnosis: Diagnosis) -> Plan:
    """The diagnosis's single recommended step as a plan (no steps for none / investigate)."""
    fs = facts_by_name(facts)
    rec = diagnosis.recommendation
    base = plan_header(diagnosis, fs)
    if rec is None or rec.action is Action.NONE:
        return Plan(kind="none", title="Nothing to do", notes=[rec.reason] if rec else [], **base)
    kind = action_of(rec.action)
    if rec.command is None or rec.host is None or kind is None:
        return Plan(
            kind="investigate",
            title=f"Investigate {rec.host}" if rec.host else "Investigate",
            notes=[rec.reason],
            **base,
        )
    new_master = diagnosis.master.name if diagnosis.master else None
    step = Step(
        host=rec.host,
        command=rec.command,
        why=rec.reason,
        action=kind,
        new_master=new_master if kind in (StepAction.RESET_MASTER,) else None,
        master_address=_address_in(rec.command) if kind is StepAction.RESET_MASTER else None,
    )
    if kind is StepAction.RESET_MASTER:
        step.precondition = f"{new_master} is still the pool's master and answers."
        step.verify = f"{rec.host}'s pool.conf says slave:{step.master_address}; after the restart it follows {new_master}."
    elif kind is StepAction.RESTART_TOOLSTACK:
        step.precondition = f"SSH to {rec.host} still works."
        step.verify = f"re-probe until {rec.host}'s toolstack answers again."
    checks: list[Check] = forbidden_checks([step], diagnosis)
    if kind is StepAction.RESET_MASTER and step.master_address is None:
        checks.append(Check(name="master address", ok=False, detail="the master's address is not a valid address."))
    return Plan(
        kind="recommendation",
        title=f"{rec.action} on {rec.host}",
        steps=[step],
        preconditions=checks,
        **base,
    )


def propose_plan(facts: FactsLike, diagnosis: Diagnosis) -> Plan:
    """The plan the console would propose now for this diagnosis (see the module docstring)."""
    rec = diagnosis.recommendation
    if diagnosis.verdict is Verdict.HEALTHY:
        return plan_from_recommendation(facts, diagnosis)
    if diagnosis.verdict is Verdict.SPLIT_BRAIN:
        if rec is not None and rec.action is Action.RESTART_TOOLSTACK:
            return plan_from_recommendation(facts, diagnosis)
        return plan_heal_split_brain(facts, diagnosis)
    if diagnosis.verdict is Verdict.HA_WEDGED:
        return plan_ha_disable(facts, diagnosis)
    if diagnosis.verdict is Verdict.HA_ELECTING:
        return Plan(
            kind="wait", title="Wait: HA is electing a master", notes=[rec.reason] if rec else [],
            **plan_header(diagnosis, facts_by_name(facts)),
        )
    if diagnosis.verdict is Verdict.MASTER_LOST:
        promote = fence_first(plan_promote_and_recover(facts, diagnosis), facts)  # the lost master fenced first
        if rec is not None and rec.action is Action.RESTART_TOOLSTACK and rec.command:
            first = plan_from_recommendation(facts, diagnosis)
            first.notes = [f"Promote only if it stays silent: {c.name}: {c.detail}" for c in promote.preconditions if not c.ok]
            return first
        return promote
    return plan_from_recommendation(facts, diagnosis)
