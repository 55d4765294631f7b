"""The runner's guard rails for a promotion, registered with `guards.register_step` on import."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis, HostFlag
from xentui.model import HostFacts, Role
from xentui.xe import commands as xc

from ..guards import register_step
from ..plan import Step, StepAction


def _promote_early(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    f = facts.get(step.host)
    if f is not None and f.role is Role.BROKEN:
        return f"{step.host}'s pool.conf is broken"
    return None


def _promote_late(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    hv = diagnosis.hosts.get(step.host) if diagnosis is not None else None
    if hv is not None and HostFlag.ORPHANED in hv.flags:
        return f"{step.host} was forgotten by the pool (HOST_UNKNOWN_TO_MASTER)"
    return None


register_step(
    StepAction.PROMOTE, lambda s: xc.pool_emergency_transition_to_master(), early=_promote_early, late=_promote_late
)
