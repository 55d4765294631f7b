"""The ha-disable step kind: `xe host-emergency-ha-disable --force`, read back from local.db."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from xentui.core.facts_rules import ssh_cause
from xentui.core.model import CommandResult, HostFacts
from xentui.diagnosis import Diagnosis, Verdict
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error

from xentui.actions.kinds import ReadBack, register_step
from xentui.actions.plan import Step, StepAction


def _early(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    if diagnosis is not None and diagnosis.verdict is Verdict.HA_ELECTING:
        left = diagnosis.ha.seconds_left if diagnosis.ha is not None else None
        return (
            "HA is electing a master: disarming a host now breaks the election"
            + (f" ({left:.0f} s left in the window)" if left is not None else "")
            + "."
        )
    if diagnosis is not None and diagnosis.verdict is not Verdict.HA_WEDGED:
        return f"the diagnosis is {diagnosis.verdict}, not ha-wedged: HA is not stuck, leave it armed."
    return None


def _late(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    f = facts.get(step.host)
    if f is not None and f.ha_armed is False and f.fresh("ha_local"):
        return f"{step.host} is already disarmed (local.db ha.armed=false)."
    return None


async def verify_ha_disabled(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: Any, deadline: float
) -> tuple[bool | None, str]:
    """Re-read the host's local.db over SSH until ha.armed is false (never the exit status alone:
    a second run exits 1 with HA_NOT_ENABLED while the host is disarmed all the same)."""
    last = "not read yet"
    while True:
        await run.progress(i, "verifying", f"reading {step.host}'s /var/lib/xcp/local.db", host=step.host)
        f = await run.engine.probe_host(step.host)
        if f.ha_armed is False and f.fresh("ha_local"):
            gone = f" and its HA daemon is stopped ({f.ha_liveset_error})" if f.ha_liveset_status == "daemon-not-running" else ""
            return True, f"{step.host}: local.db says ha.armed=false{gone}"
        last = (
            f"{step.host}: local.db ha.armed={'true' if f.ha_armed else 'unknown'}" if f.reachable else ssh_cause(f)
        )
        if time.monotonic() >= deadline:
            return False, f"not disarmed before the deadline: {last}"
        await asyncio.sleep(run.engine.settings.poll_interval)


def _explain(step: Step, result: CommandResult, facts: Mapping[str, HostFacts]) -> str | None:
    err = parse_xe_error(result.stderr) if result.stderr else None
    if err is not None and err.code == "HA_NOT_ENABLED":
        return f"{step.host} is not armed (HA_NOT_ENABLED): it was disarmed already; the read-back decides."
    if "must be forced" in (result.stderr or ""):
        return "xe refused without --force (it is dangerous by design); the plan always passes --force."
    return None


register_step(
    StepAction.HA_DISABLE, lambda s: xc.host_emergency_ha_disable(), early=_early, late=_late,
    verify=verify_ha_disabled, explain=_explain,
)
