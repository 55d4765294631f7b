"""Split brain: two hosts hold master; heal it from the master the pool follows (pure planning).

Reference §3: after a partition an old master whose toolstack never
restarted keeps `master` while the rest of the pool follows the promoted
host, and the two databases diverge.  The fix is `xe pool-recover-slaves` on
the master the rest of the pool follows (the majority master): it resets
every other host it reaches, the old master included.  Never on the old
master: that would pull the pool back to the old master's database.

* `check_recover_slaves_target(host, diagnosis)` says whether
  recover-slaves may run on `host`; the minority master is refused with the
  reason.  An override exists only when the admin typed the host's name
  (`override_confirmed_name == host`); the runner writes it to the audit
  log with outcome "override" before it runs the step.
* `plan_heal_split_brain(facts, diagnosis)` shows both masters, which one the
  majority follows, their DB generations, and runs recover-slaves only on
  the majority master.  If recover-slaves cannot reach the old master (still
  partitioned from the new master, yet reachable from the jump box) the plan's
  `contingency` offers `xe pool-emergency-reset-master
  master-address=<majority master address>` on the old master itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from xentui.diagnosis import Diagnosis, Verdict
from xentui.facts_rules import host_is_live
from xentui.xe import commands as xc

from .guards import Refused, ha_check, plan_header, register_step
from .plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name
from .recover import expected_recovered

if TYPE_CHECKING:
    from xentui.model import HostFacts

__all__ = [
    "HealSplitBrainPlan",
    "MasterInfo",
    "TargetCheck",
    "check_recover_slaves_target",
    "master_address_for",
    "plan_heal_split_brain",
]

class TargetCheck(BaseModel):
    host: str
    ok: bool
    reason: str
    override: bool = False  # allowed only because the admin typed the host name (audited)


class MasterInfo(BaseModel):
    name: str
    majority: bool
    followers: list[str] = Field(default_factory=list)
    db_generation: int | None = None
    reachable: bool | None = None
    address: str | None = None


class HealSplitBrainPlan(Plan):
    kind: str = "heal-split-brain"
    majority_master: str | None = None
    masters: list[MasterInfo] = Field(default_factory=list)
    target: str | None = None
    expected: dict[str, str] = Field(default_factory=dict)


def _followers(diagnosis: Diagnosis, master: str) -> list[str]:
    return sorted(n for n, hv in diagnosis.hosts.items() if hv.follows == master and n != master)


def check_recover_slaves_target(
    host: str,
    diagnosis: Diagnosis,
    *,
    override_confirmed_name: str | None = None,
) -> TargetCheck:
    """May `xe pool-recover-slaves` run on `host` now?

    Only on the master the pool follows (the majority master in a split
    brain, the master otherwise).  Another master is refused with the reason;
    the refusal is overridden only when `override_confirmed_name == host`
    (the admin typed it).  Pure: the runner writes the override to the audit
    log (outcome "override") when it runs the step.  A host that does not
    hold master is always refused.
    """
    maj = diagnosis.majority_master.name if diagnosis.majority_master else None
    if host not in diagnosis.masters:
        return TargetCheck(
            host=host,
            ok=False,
            reason=f"{host} does not hold master: pool-recover-slaves runs on the master the pool follows"
            + (f" ({maj})." if maj else "."),
        )
    if host == maj or (diagnosis.verdict is not Verdict.SPLIT_BRAIN and len(diagnosis.masters) == 1):
        if diagnosis.verdict is Verdict.SPLIT_BRAIN:
            why = f"{host} is the master the rest of the pool follows ({len(_followers(diagnosis, host))} hosts)."
        else:
            why = f"{host} is the pool's master."
        return TargetCheck(host=host, ok=True, reason=why)
    followers = _followers(diagnosis, maj) if maj else []
    reason = (
        f"{host} is not the master the pool follows"
        + (f" ({maj} is, followed by {len(followers)} host{'s' if len(followers) != 1 else ''})" if maj else "")
        + f": recover-slaves on {host} would pull the pool back to the old master's database ({host}'s copy) and "
        + (f"throw away everything done on {maj} since the split." if maj else "throw away what the others did since.")
    )
    if override_confirmed_name is not None and override_confirmed_name.strip() == host:
        return TargetCheck(host=host, ok=True, reason=f"OVERRIDDEN by the admin (typed {host!r}): {reason}", override=True)
    return TargetCheck(host=host, ok=False, reason=reason)


def master_address_for(name: str, diagnosis: Diagnosis, facts: dict[str, HostFacts]) -> str | None:
    """The address to point hosts at for master `name`: the one its slaves use, else its own."""
    cands: list[str] = []
    if diagnosis.majority_master is not None and diagnosis.majority_master.name == name and diagnosis.majority_master.address:
        cands.append(diagnosis.majority_master.address)
    if diagnosis.master is not None and diagnosis.master.name == name and diagnosis.master.address:
        cands.append(diagnosis.master.address)
    f = facts.get(name)
    if f is not None:
        cands.extend(f.own_addresses)
        cands.append(f.address)
    for a in cands:
        try:
            return xc.validate_address(a)
        except ValueError:
            continue
    return None


def plan_heal_split_brain(
    facts: FactsLike,
    diagnosis: Diagnosis,
    target: str | None = None,
    *,
    override_confirmed_name: str | None = None,
) -> HealSplitBrainPlan:
    """recover-slaves on the majority master (or on `target`, which must pass the target check)."""
    fs = facts_by_name(facts)
    maj = diagnosis.majority_master.name if diagnosis.majority_master else None
    target = target or maj
    checks: list[Check] = []
    if diagnosis.verdict is not Verdict.SPLIT_BRAIN:
        checks.append(
            Check(
                name="split brain",
                ok=False,
                detail=f"the diagnosis is {diagnosis.verdict}: only one host holds master.",
            )
        )
    masters = [
        MasterInfo(
            name=m,
            majority=m == maj,
            followers=_followers(diagnosis, m),
            db_generation=fs[m].db_generation if m in fs else None,
            reachable=fs[m].reachable if m in fs else None,
            address=master_address_for(m, diagnosis, fs),
        )
        for m in diagnosis.masters
    ]
    masters.sort(key=lambda mi: (not mi.majority, mi.name))
    notes: list[str] = []
    if masters:
        parts = []
        for mi in masters:
            gen = f"generation {mi.db_generation}" if mi.db_generation is not None else "generation unknown"
            fol = f"followed by {len(mi.followers)}" if mi.followers else "followed by nobody"
            parts.append(f"{mi.name} ({gen}, {fol}{', the majority' if mi.majority else ''})")
        notes.append("Masters: " + "; ".join(parts) + ".")
    steps: list[Step] = []
    contingency: list[Step] = []
    expected: dict[str, str] = {}
    if target is None:
        checks.append(Check(name="majority master", ok=False, detail="no master the pool follows is known."))
    else:
        tc = check_recover_slaves_target(target, diagnosis, override_confirmed_name=override_confirmed_name)
        checks.append(Check(name="recover-slaves target", ok=tc.ok, detail=tc.reason, warning=tc.override))
        tf = fs.get(target)
        if tf is None:
            checks.append(Check(name=f"{target} live", ok=False, detail=f"{target} is not a configured host."))
        else:
            live, why = host_is_live(tf)
            checks.append(
                Check(
                    name=f"{target} live",
                    ok=live,
                    detail=why if live else why + f": the jump box must be able to run commands on {target}.",
                )
            )
        checks.append(ha_check(fs))
        expected, unknown = expected_recovered(fs, target)
        others = [mi.name for mi in masters if mi.name != target]
        steps.append(
            Step(
                host=target,
                command=xc.pool_recover_slaves(),
                action=StepAction.RECOVER_SLAVES,
                why=(tc.reason + " " if tc.override else "")
                + f"{target} is the master the pool follows: recover-slaves on it resets every other host it "
                f"reaches{', ' + ', '.join(others) + ' included' if others else ''}, so they all follow {target} "
                "and its database.",
                precondition=f"{target} still holds master, answers, and the pool follows it.",
                verify=f"compare the printed UUIDs with the expected hosts ({', '.join(sorted(expected)) or 'none'}); "
                f"re-probe until {', '.join(others) or 'every host'} follow{'s' if len(others) == 1 else ''} {target}.",
                new_master=target,
                expected=expected,
                override=tc.ok and tc.override,
            )
        )
        if unknown:
            notes.append(f"UUID unknown for {', '.join(unknown)}: recover-slaves' output cannot be checked for them.")
        addr = master_address_for(target, diagnosis, fs)
        for other in others:
            if addr is None:
                notes.append(f"No valid address known for {target}: cannot offer reset-master on {other}.")
                continue
            contingency.append(
                Step(
                    host=other,
                    command=xc.pool_emergency_reset_master(addr),
                    action=StepAction.RESET_MASTER,
                    why=f"recover-slaves on {target} could not reach {other}: point {other} at {target} itself; "
                    "its toolstack restarts after ~10 s as a slave of it.",
                    precondition=f"{other} was not reset by recover-slaves (still partitioned from {target}) but the "
                    "jump box reaches it",
                    verify=f"{other}'s pool.conf says slave:{addr}; after the restart it follows {target}.",
                    new_master=target,
                    master_address=addr,
                )
            )
    # recover-slaves forbidden on a non-majority master is the "recover-slaves target" check above.
    return HealSplitBrainPlan(
        title=f"Heal the split brain from {target}" if target else "Heal the split brain",
        **plan_header(diagnosis, fs),
        steps=steps,
        preconditions=checks,
        notes=notes,
        contingency=contingency,
        majority_master=maj,
        masters=masters,
        target=target,
        expected=expected,
    )


# --------------------------------------------------------------------------- the runner's guard rails


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
