"""The heal: recover-slaves on the majority master, reset-master as the contingency (pure; see the package docstring)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xentui.diagnosis import Diagnosis, Verdict, hosts_following
from xentui.core.facts_rules import host_is_live

from xentui.actions.guards import ha_check, plan_fields, planned_step, verdict_check
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name
from xentui.actions.recover import expected_recovered
from xentui.actions.splitbrain.target import check_recover_slaves_target, followers_of, master_address_for

__all__ = ["HealSplitBrainPlan", "MasterInfo", "plan_heal_split_brain"]


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
    checks = verdict_check(diagnosis, Verdict.SPLIT_BRAIN, "split brain", ": only one host holds master.")
    masters = [
        MasterInfo(
            name=m,
            majority=m == maj,
            followers=followers_of(diagnosis, m),
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
            # counted as the header counts (`7 of 8 hosts follow plot8`): the master follows itself
            fol = f"{hosts_following(mi.name, mi.followers)} of {len(diagnosis.hosts)} hosts follow it"
            fol += "" if mi.followers else ": only itself"
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
            planned_step(
                StepAction.RECOVER_SLAVES, target,
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
                planned_step(
                    StepAction.RESET_MASTER, other,
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
    title = f"Heal the split brain from {target}" if target else "Heal the split brain"
    return HealSplitBrainPlan(
        **plan_fields(diagnosis, fs, title, steps, checks, notes),
        contingency=contingency,
        majority_master=maj,
        masters=masters,
        target=target,
        expected=expected,
    )
