"""Recovery actions: plans (pure data, made from facts + diagnosis) and the runner that executes them.

Shared by every feature:

* `plan`       — `Step`, `Check`, `ForbiddenStep`, `Plan` (JSON-able), `plan_report`, `plan_text`
* `guards`     — the guard rails every plan and the runner apply; each feature
                 reads the kinds the features registered, so guards imports
                 no feature
* `kinds`      — `register_step`: each feature registers its kinds of step (command, guard
                 rails, read-back, its errors in words); the runner looks them up
* `features`   — the features, one line each (`load_features` registers every kind)
* `runner`     — `PlanRunner` (runs a plan through the engine, verifies, audits) -> `RunReport`
* `propose`    — `propose_plan` (what `xentui plan` prints for a diagnosis)

One package per feature, each with its gathering, its plan and its guards
(its pane is `xentui.ui.panes.<feature>`):

* `recover/`    — master lost: `plan_promote_and_recover`, `candidate_options`
* `splitbrain/` — `plan_heal_split_brain`, `check_recover_slaves_target`
* `designate/`  — the handover: `plan_designate_master`, `explain_designate_error`
* `storage/`    — local SRs: which devices are free, `plan_local_sr` (one sr-create step)
* `onboard/`    — a new host: connect, gather, xapi's pre-join checks, level, join

No Textual here: the console's panes call this API.
"""

from __future__ import annotations

from xentui.actions.runner import PlanRunner, Progress, RecoverComparison, RunReport, StepResult, StepStatus
from xentui.actions.guards import Refused, check_step, forget_step
from xentui.actions.plan import Check, ForbiddenStep, Plan, Step, StepAction, plan_report, plan_text
from xentui.actions.propose import plan_from_recommendation, propose_plan

__all__ = [
    "Check",
    "ForbiddenStep",
    "Plan",
    "PlanRunner",
    "Progress",
    "RecoverComparison",
    "Refused",
    "RunReport",
    "Step",
    "StepAction",
    "StepResult",
    "StepStatus",
    "check_step",
    "forget_step",
    "plan_from_recommendation",
    "plan_report",
    "plan_text",
    "propose_plan",
]
