"""Recovery actions: plans (pure data, made from facts + diagnosis) and the runner that executes them.

Shared by every feature:

* `plan`       — `Step`, `Check`, `ForbiddenStep`, `Plan` (JSON-able), `plan_report`, `plan_text`
* `guards`     — the guard rails every plan and the runner apply; each feature
                 registers its own kind of step there (`register_step`), so
                 guards imports no feature
* `executor`   — `PlanRunner` (runs a plan through the engine, verifies, audits) -> `RunReport`
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

from .designate import DesignatePlan, explain_designate_error, plan_designate_master
from .executor import PlanRunner, Progress, RecoverComparison, RunReport, StepResult, StepStatus
from .guards import Refused, check_step, forget_step
from .plan import Check, ForbiddenStep, Plan, Step, StepAction, plan_report, plan_text
from .propose import plan_from_recommendation, propose_plan
from .recover import CandidateOption, PromoteAndRecoverPlan, candidate_options, plan_promote_and_recover
from .splitbrain import HealSplitBrainPlan, MasterInfo, TargetCheck, check_recover_slaves_target, plan_heal_split_brain
from .storage import LocalSRPlan, plan_local_sr

__all__ = [
    "CandidateOption",
    "Check",
    "DesignatePlan",
    "ForbiddenStep",
    "HealSplitBrainPlan",
    "LocalSRPlan",
    "MasterInfo",
    "Plan",
    "PlanRunner",
    "Progress",
    "PromoteAndRecoverPlan",
    "RecoverComparison",
    "Refused",
    "RunReport",
    "Step",
    "StepAction",
    "StepResult",
    "StepStatus",
    "TargetCheck",
    "candidate_options",
    "check_recover_slaves_target",
    "check_step",
    "explain_designate_error",
    "forget_step",
    "plan_designate_master",
    "plan_from_recommendation",
    "plan_heal_split_brain",
    "plan_local_sr",
    "plan_promote_and_recover",
    "plan_report",
    "plan_text",
    "propose_plan",
]
