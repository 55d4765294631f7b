"""The guided way out of a wedged HA: disarm every survivor, read back (pure planning)."""

from __future__ import annotations

from pydantic import Field

from xentui.diagnosis import Diagnosis, Verdict
from xentui.diagnosis.ha import reenable_advice

from xentui.actions.guards import plan_fields, planned_step, verdict_check
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name

__all__ = ["HaDisablePlan", "plan_ha_disable"]


class HaDisablePlan(Plan):
    kind: str = "ha-disable"
    survivors: list[str] = Field(default_factory=list)  # the armed hosts the plan disarms
    candidate: str | None = None  # who the promote that follows is expected to take


def plan_ha_disable(facts: FactsLike, diagnosis: Diagnosis) -> HaDisablePlan:
    """`xe host-emergency-ha-disable --force` on every armed, reachable survivor, each read back.

    The promote and recover-slaves are NOT steps of this plan: while any live host is armed they
    would be refused (HA_IS_ENABLED) or skip hosts silently; the next diagnosis proposes them once
    every survivor reads ha.armed=false."""
    fs = facts_by_name(facts)
    checks: list[Check] = verdict_check(
        diagnosis, Verdict.HA_WEDGED, "HA wedged", ": HA is not stuck (it elects a master itself while armed)."
    )
    armed = sorted(n for n, f in fs.items() if f.reachable and f.ha_armed is True)
    unknown = sorted(n for n, f in fs.items() if f.reachable and f.ha_armed is None)
    lost = [n for n, f in fs.items() if not f.reachable]
    if not armed:
        checks.append(Check(name="armed survivors", ok=False, detail="no reachable host reads ha.armed=true."))
    else:
        checks.append(Check(name="armed survivors", ok=True, detail=f"{', '.join(armed)} read ha.armed=true."))
    if unknown:
        checks.append(
            Check(name="HA state known", ok=True, warning=True,
                  detail=f"local.db not read yet on {', '.join(unknown)}: disarm it too if it is armed.")
        )
    steps: list[Step] = [
        planned_step(
            StepAction.HA_DISABLE, name,
            why=f"HA cannot elect a master: disarm HA on {name} (stops its HA daemon and fencing, writes "
            "ha.armed=false to its local.db); xapi keeps running and the pool record is left as it is.",
            precondition=f"{name} is reachable and still reads ha.armed=true; the diagnosis is still ha-wedged.",
            verify=f"re-read {name}'s /var/lib/xcp/local.db until ha.armed=false.",
            timeout=30.0,
        )
        for name in armed
    ]
    t = diagnosis.ha.timeout if diagnosis.ha is not None else None
    notes = [
        "Then the normal promote and recover: xentui proposes them (`xentui plan`, key r) once every "
        "survivor reads ha.armed=false; the promoted host's restart clears the pool's ha_enabled, and "
        "only after that may recover-slaves run (a disarmed slave restarting against ha_enabled=true "
        "would stay in emergency mode: xen-api issue 7177).",
        reenable_advice(t) + ".",
    ]
    if lost:
        notes.append(
            f"{', '.join(lost)}: unreachable, left as they are; when back, an armed host whose pool no longer "
            "has HA disarms itself at its toolstack start."
        )
    title = f"Disarm HA on {len(armed)} surviving host{'s' if len(armed) != 1 else ''}" if armed else "Disarm HA"
    return HaDisablePlan(
        **plan_fields(diagnosis, fs, title, steps, checks, notes),
        survivors=armed,
        candidate=diagnosis.candidate,
    )
