"""The promotion as a kind of step: its command, its guard rails, its read-back (registered on import)."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis, HostFlag
from xentui.core.model import HostFacts, Role
from xentui.xe import commands as xc

from xentui.actions.kinds import register_step
from xentui.actions.plan import Step, StepAction
from xentui.actions.recover.readback import verify_promote


def _promote_early(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    f = facts.get(step.host)
    if f is not None and f.role is Role.BROKEN:
        return f"{step.host}'s pool.conf is broken"
    return None


def _promote_late(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    hv = diagnosis.hosts.get(step.host) if diagnosis is not None else None
    if hv is not None and HostFlag.ORPHANED in hv.flags:
        return f"{step.host} was forgotten by the pool (HOST_UNKNOWN_TO_MASTER)"
    if diagnosis is not None and diagnosis.master is not None and diagnosis.master.name != step.host:
        return f"{diagnosis.master.name} is master and answers again: a promotion now would make a second master."
    return None


register_step(
    StepAction.PROMOTE, lambda s: xc.pool_emergency_transition_to_master(), early=_promote_early, late=_promote_late,
    verify=verify_promote,
)
