"""A promotion and a recover-slaves, read back from the hosts (registered with their kinds in `guards.py`).

Never the printed message alone: after a promotion the toolstack restart is
waited out (the fuse xapi announced) and the host is re-probed until pool.conf
says master and its toolstack answers as master; after recover-slaves the
printed UUIDs are compared with the hosts expected (`compare_recovered`, pure)
and the pool is re-probed until every reachable host follows the new master.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from xentui.core.facts_rules import ssh_cause
from xentui.core.model import CommandResult, HostFacts, Role
from xentui.diagnosis import Diagnosis
from xentui.xe import commands as xc
from xentui.xe.records import parse_fuse

from xentui.actions.kinds import ReadBack
from xentui.actions.plan import Step
from xentui.actions.runner import RecoverComparison, RunReport

__all__ = ["compare_recovered", "parse_recovered_uuids", "recovered_detail", "verify_promote", "verify_recover_slaves"]


def parse_recovered_uuids(stdout: str) -> tuple[list[str], list[str]]:
    """(valid UUIDs, other non-blank lines) printed by pool-recover-slaves."""
    uuids: list[str] = []
    other: list[str] = []
    for line in stdout.splitlines():
        text = line.strip()
        if not text:
            continue
        try:
            u = xc.validate_uuid(text)
        except ValueError:
            other.append(text)
            continue
        if u not in uuids:
            uuids.append(u)
    return uuids, other


def recovered_detail(step: Step, stdout: str) -> str:
    """What the audit keeps of recover-slaves' output: every host it printed as reset (name and UUID)."""
    printed, _other = parse_recovered_uuids(stdout)
    if not printed:
        return ""
    names = {u.lower(): n for n, u in step.expected.items()}
    hosts = [f"{names[u]} ({u})" if u in names else u for u in printed]
    return f"reset {len(hosts)}: " + ", ".join(hosts)


def compare_recovered(
    step: Step, stdout: str, before: Mapping[str, HostFacts], d: Diagnosis, now: Mapping[str, HostFacts]
) -> RecoverComparison:
    """recover-slaves' printed UUIDs against the hosts expected, each miss said in words (pure).

    `before`/`d`: the facts and diagnosis when the step was sent; `now`: the facts as they are
    (a UUID learned since counts as configured)."""
    printed, _other = parse_recovered_uuids(stdout)
    by_uuid = {u.lower(): n for n, u in step.expected.items()}
    configured = {f.uuid.lower(): n for n, f in now.items() if f.uuid}
    recovered = [by_uuid[u] for u in printed if u in by_uuid]
    unexpected = [u for u in printed if u not in by_uuid and u not in configured]
    missing: dict[str, str] = {}
    for name in step.expected:
        if name in recovered:
            continue
        f = before.get(name)
        hv = d.hosts.get(name)
        if f is not None and not f.reachable:
            why = f"unreachable (from the jump box too: {ssh_cause(f)})"
            if name in d.masters or f.role is Role.MASTER:
                src = f.sources.get("role")  # unreachable: its role is what pool.conf said when last read
                when = f" when last seen at {time.strftime('%H:%M:%S UTC', time.gmtime(src.at))}" if src else ""
                why += (f"; it was master{when}: if it comes back still believing so, "
                        f"heal from {step.host}")
        elif name in d.masters and name != step.host:
            why = f"it holds master itself (its own master) and {step.host} could not reach it: still partitioned?"
        elif hv is not None and hv.follows == step.host:
            why = f"already follows {step.host} but did not answer it (toolstack?)"
        else:
            why = f"{step.host} could not reach it or its toolstack did not answer"
        missing[name] = why
    unchecked: dict[str, str] = {}
    for name, f in before.items():
        if name == step.host or name in step.expected:
            continue
        known = f.uuid.lower() if f.uuid else None
        if known is not None and known in printed:
            recovered.append(name)
            continue
        why = "UUID unknown (its inventory was never read): the output cannot say whether it was reset"
        if not f.reachable:
            why += f"; unreachable from the jump box ({ssh_cause(f)})"
        unchecked[name] = why
    return RecoverComparison(
        host=step.host,
        unchecked=unchecked,
        expected=dict(step.expected),
        printed=printed,
        recovered=recovered,
        not_recovered=missing,
        unexpected=unexpected,
    )


async def verify_promote(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: RunReport, deadline: float
) -> tuple[bool | None, str]:
    """Wait out the toolstack restart xapi announced, then re-probe until the host holds master."""
    already = "already master" in cr.stdout
    fuse = 0.0 if already else (parse_fuse(cr.stdout) or run.fuse)
    await run.wait_fuse(i, step, fuse, f"toolstack on {step.host} restarting as master")
    return await run.holds_master(i, step.host, deadline + fuse)


async def verify_recover_slaves(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: RunReport, deadline: float
) -> tuple[bool | None, str]:
    """Compare the printed UUIDs with the hosts expected, then re-probe until every reachable host follows."""
    new = step.new_master or step.host
    before, d = run.before
    report.recover = compare_recovered(step, cr.stdout, before, d, run.engine.facts)
    if report.recover.recovered:
        await run.wait_fuse(i, step, run.fuse, "recovered slaves restarting their toolstacks")
        deadline += run.fuse
    # hosts recover-slaves did not reset will not come round by waiting: stop early on those
    hopeless = set(report.recover.not_recovered) | set(report.recover.unchecked)
    ok, text, lagging = await run.settle(i, new, deadline, hopeless=hopeless)
    report.not_following = lagging
    return ok, text
