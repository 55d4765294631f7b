"""The runner's guard rails for recover-slaves and reset-master, registered with `guards.register_step` on import."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis
from xentui.model import HostFacts
from xentui.xe import commands as xc

from ..guards import Refused, register_step
from ..plan import Step, StepAction
from .target import check_recover_slaves_target


def _recover_slaves_early(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    """recover-slaves only on the master the pool follows (unless the admin typed the host name)."""
    if diagnosis is None or step.override:
        return None
    tc = check_recover_slaves_target(step.host, diagnosis)
    return None if tc.ok else tc.reason


def _reset_master_command(step: Step) -> str:
    if not step.master_address:
        raise Refused("reset-master without a master address")
    return xc.pool_emergency_reset_master(step.master_address)


register_step(StepAction.RECOVER_SLAVES, lambda s: xc.pool_recover_slaves(), early=_recover_slaves_early)
register_step(StepAction.RESET_MASTER, _reset_master_command)
