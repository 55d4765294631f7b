"""recover-slaves and reset-master as kinds of step: command, guard rails, read-back (registered on import)."""

from __future__ import annotations

from collections.abc import Mapping

from xentui.diagnosis import Diagnosis
from xentui.core.model import CommandResult, HostFacts
from xentui.xe import commands as xc
from xentui.xe.records import parse_fuse

from xentui.actions.guards import Refused
from xentui.actions.kinds import ReadBack, register_step
from xentui.actions.plan import Step, StepAction
from xentui.actions.recover.readback import recovered_detail, verify_recover_slaves
from xentui.actions.runner import RunReport
from xentui.actions.splitbrain.target import check_recover_slaves_target


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


async def _verify_reset_master(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: RunReport, deadline: float
) -> tuple[bool | None, str]:
    """Wait out the host's toolstack restart, then re-probe until it follows the master the pool follows."""
    fuse = parse_fuse(cr.stdout) or run.fuse
    await run.wait_fuse(i, step, fuse, f"toolstack on {step.host} restarting as a slave")
    return await run.follows(i, step, deadline + fuse)


register_step(
    StepAction.RECOVER_SLAVES, lambda s: xc.pool_recover_slaves(), early=_recover_slaves_early,
    verify=verify_recover_slaves, detail=recovered_detail,
)
register_step(StepAction.RESET_MASTER, _reset_master_command, verify=_verify_reset_master)
