"""The ha feature's plan and guard rails (pure): disarm only when wedged, only armed survivors; the
emergency steps and the handover refused while HA is armed or electing, with the reason."""

from __future__ import annotations

import pytest

from helpers.ha import AFTER_T, BEFORE_T, STUCK_LOCK, T0, ha, lost_pool
from helpers.facts import down, stranded
from xentui.actions import StepAction
from xentui.actions.features import load_features
from xentui.actions.guards import check_step, planned_step
from xentui.actions.ha import plan_ha_disable
from xentui.actions.propose import propose_plan
from xentui.diagnosis import Verdict, diagnose_pool

load_features()
DISARM = "/opt/xensource/bin/xe host-emergency-ha-disable --force"


def facts_of(facts):  # type: ignore[no-untyped-def]
    return {f.name: f for f in facts}


def test_wedged_plan_disarms_every_armed_survivor_only() -> None:
    facts = [down(1), ha(stranded(2), T0 + 200, armed=False),
             *[ha(stranded(i), T0 + 200, liveset=STUCK_LOCK, lost=T0) for i in (3, 4)]]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.HA_WEDGED
    plan = plan_ha_disable(facts_of(facts), d)
    assert not plan.blocked and [s.host for s in plan.steps] == ["plot3", "plot4"]
    assert all(s.command == DISARM and s.action is StepAction.HA_DISABLE for s in plan.steps)
    assert plan.candidate == d.candidate and any("pool-ha-enable" in n for n in plan.notes)
    assert propose_plan(facts_of(facts), d).kind == "ha-disable"
    for s in plan.steps:
        assert check_step(s, facts_of(facts), d) is None
    already = planned_step(StepAction.HA_DISABLE, "plot2", why="x")
    assert "already disarmed" in (check_step(already, facts_of(facts), d) or "")


@pytest.mark.parametrize(
    "facts, refusal",
    [
        (lost_pool(T0 + 10, BEFORE_T), "breaks the election"),
        (lost_pool(T0 + 100, AFTER_T), "breaks the election"),
    ],
)
def test_no_disarm_while_electing(facts, refusal: str) -> None:  # type: ignore[no-untyped-def]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.HA_ELECTING
    plan = plan_ha_disable(facts_of(facts), d)
    assert plan.blocked
    step = planned_step(StepAction.HA_DISABLE, "plot2", why="x")
    why = check_step(step, facts_of(facts), d)
    assert why is not None and refusal in why and "s left" in why


@pytest.mark.parametrize("action, fields", [
    (StepAction.PROMOTE, {"new_master": "plot2"}),
    (StepAction.RECOVER_SLAVES, {"new_master": "plot2"}),
    (StepAction.RESET_MASTER, {"master_address": "10.0.0.12", "new_master": "plot2"}),
])
@pytest.mark.parametrize("elapsed, expect", [(10, "change nothing until"), (300, "armed for HA")])
def test_emergency_steps_refused_while_armed(action: StepAction, fields: dict, elapsed: float, expect: str) -> None:
    facts = lost_pool(T0 + elapsed, BEFORE_T if elapsed < 60 else STUCK_LOCK)
    d = diagnose_pool(facts)
    step = planned_step(action, "plot2", why="x", **fields)
    why = check_step(step, facts_of(facts), d)
    assert why is not None, action
    if action is StepAction.PROMOTE:
        assert expect in why or "HA_IS_ENABLED" in why
