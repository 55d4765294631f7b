"""The promote + recover-slaves plan for a lost master (pure; see the package docstring)."""

from __future__ import annotations

from pydantic import Field

from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.facts_rules import ssh_cause
from xentui.core.model import HostFacts, QueryState
from xentui.xe import commands as xc

from xentui.actions.guards import ha_check, plan_fields, planned_step, verdict_check
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name, forbidden_checks
from xentui.actions.recover.candidates import CandidateOption, candidate_options

__all__ = ["PromoteAndRecoverPlan", "expected_recovered", "plan_promote_and_recover"]


class PromoteAndRecoverPlan(Plan):
    kind: str = "promote-and-recover"
    old_master: str | None = None
    candidate: str | None = None
    expected: dict[str, str] = Field(default_factory=dict)  # name -> UUID recover-slaves should print
    unknown_uuid: list[str] = Field(default_factory=list)  # hosts whose UUID is not known: not checkable
    candidates: list[CandidateOption] = Field(default_factory=list)


def expected_recovered(facts: dict[str, HostFacts], new_master: str) -> tuple[dict[str, str], list[str]]:
    """Every other configured host with a known UUID (name -> UUID), and those without one."""
    expected: dict[str, str] = {}
    unknown: list[str] = []
    for name, f in facts.items():
        if name == new_master:
            continue
        try:
            expected[name] = xc.validate_uuid(f.uuid or "")
        except ValueError:
            unknown.append(name)
    return expected, unknown


def _old_master_checks(fs: dict[str, HostFacts], diagnosis: Diagnosis, old: str | None) -> list[Check]:
    checks = verdict_check(
        diagnosis, Verdict.MASTER_LOST, "master lost", ", not master-lost: there is no lost master to replace."
    )
    if old is None:
        checks.append(Check(name="old master known", ok=False, detail="no host is known to have been master."))
        return checks
    mf = fs.get(old)
    if mf is None:
        checks.append(
            Check(
                name="master unreachable from the jump box",
                ok=True,
                warning=True,
                detail=f"{old} is not in the configuration: the jump box cannot check it; only its slaves' word counts.",
            )
        )
    elif mf.reachable:
        checks.append(
            Check(
                name="master unreachable from the jump box",
                ok=False,
                detail=f"the jump box still reaches {old}: restart its toolstack or investigate; a promotion would "
                "make a second master.",
            )
        )
    elif mf.ssh.value == "unknown":
        checks.append(
            Check(name="master unreachable from the jump box", ok=False, detail=f"{old} has not been probed yet.")
        )
    else:
        checks.append(
            Check(name="master unreachable from the jump box", ok=True, detail=_with_host(old, ssh_cause(mf)) + ".")
        )

    followers = [
        f
        for f in fs.values()
        if f.reachable and f.name != old and diagnosis.hosts.get(f.name) is not None and diagnosis.hosts[f.name].follows == old
    ]
    cut = [f.name for f in followers if f.reaches_master is False]
    # as the diagnosis: an answer from before the first failed check is a memory, not evidence
    lost = [src.at for f in followers if f.reaches_master is False and (src := f.sources.get("reaches_master"))]
    since = min(lost, default=None)

    def current(f: HostFacts, key: str) -> bool:
        src = f.sources.get(key)
        return since is None or src is None or src.at >= since

    reach = [f.name for f in followers if f.reaches_master is True and current(f, "reaches_master")]
    served = [f.name for f in followers if f.pool_list is QueryState.ANSWERED and current(f, "pool_list")]
    name = "master unreachable from the slaves"
    if reach or served:
        who = sorted(set(reach) | set(served))
        checks.append(
            Check(
                name=name,
                ok=False,
                detail=f"{', '.join(who)} still reach{'es' if len(who) == 1 else ''} {old} (TCP 443 or xe pool-list): "
                "it is alive for the pool; a promotion would make a second master.",
            )
        )
    elif not cut:
        slow = [f.name for f in followers if f.pool_list is QueryState.NO_ANSWER]
        detail = f"no slave has confirmed that {old} is gone (their TCP 443 check did not fail)"
        if slow:
            detail += f"; xe pool-list only hangs on {', '.join(slow)}, which may mean it is slow, not gone"
        checks.append(Check(name=name, ok=False, detail=detail + "."))
    else:
        checks.append(
            Check(
                name=name,
                ok=True,
                detail=f"{len(cut)} of {len(followers)} slaves cannot reach {old} on TCP 443 ({', '.join(cut)}).",
            )
        )
    return checks


def plan_promote_and_recover(
    facts: FactsLike, diagnosis: Diagnosis, candidate: str | None = None
) -> PromoteAndRecoverPlan:
    """The promote + recover-slaves plan for a lost master (see the module docstring)."""
    fs = facts_by_name(facts)
    old = diagnosis.majority_master.name if diagnosis.majority_master else None
    if diagnosis.master is not None:
        old = diagnosis.master.name
    checks = _old_master_checks(fs, diagnosis, old)
    checks.append(ha_check(fs))
    notes: list[str] = []
    options = candidate_options(fs, diagnosis)
    chosen = candidate or diagnosis.candidate
    if chosen is None:
        checks.append(
            Check(
                name="candidate",
                ok=False,
                detail="no slave qualifies for promotion (reachable, toolstack answering, not orphaned): get one back first.",
            )
        )
    elif chosen not in fs:
        checks.append(Check(name="candidate", ok=False, detail=f"{chosen} is not a configured host."))
    else:
        opt = next(o for o in options if o.name == chosen)
        if not opt.qualifies:
            checks.append(Check(name="candidate", ok=False, detail=f"{chosen}: {'; '.join(opt.reasons)}."))
        else:
            cf = fs[chosen]
            bits = ["reachable", "toolstack answers"]
            if cf.db_generation is not None:
                bits.append(f"database generation {cf.db_generation}")
            if candidate is not None and candidate != diagnosis.candidate:
                cost = opt.reasons or ["no known drawback"]
                cost = [*cost, "whether the other hosts reach it is not measured: recover-slaves' output will tell"]
                text = f"{chosen} picked by the admin instead of {diagnosis.candidate or 'no recommended candidate'}: " + "; ".join(cost)
                notes.append(text + ".")
                checks.append(
                    Check(
                        name="candidate",
                        ok=True,
                        warning=bool(opt.reasons),
                        detail=f"{chosen}: {', '.join(bits)}; " + "; ".join(cost) + ".",
                    )
                )
            else:
                checks.append(Check(name="candidate", ok=True, detail=f"{chosen}: {', '.join(bits)}."))
    steps: list[Step] = []
    expected: dict[str, str] = {}
    unknown: list[str] = []
    if chosen is not None and chosen in fs:
        expected, unknown = expected_recovered(fs, chosen)
        old_txt = old or "the old master"
        steps.append(
            planned_step(
                StepAction.PROMOTE, chosen,
                why=f"{old_txt} (master) is gone: make {chosen} the master. Its toolstack restarts after ~10 s and "
                "takes the master role from its own copy of the pool database.",
                precondition=f"{old_txt} is still unreachable from the jump box and from the slaves; HA is off.",
                verify=f"wait for the toolstack restart (fuse), then read {chosen}'s pool.conf: it must say `master`, "
                f"and xe pool-list on {chosen} must answer with {chosen} as master.",
                new_master=chosen,
            )
        )
        exp_txt = ", ".join(sorted(expected)) or "none"
        steps.append(
            planned_step(
                StepAction.RECOVER_SLAVES, chosen,
                why=f"point every other host at {chosen}: the stranded slaves keep waiting for {old_txt} until told "
                "otherwise. It prints the UUID of every host it reset.",
                precondition=f"{chosen} holds master and its toolstack answers.",
                verify=f"compare the printed UUIDs with the expected hosts ({exp_txt}); list those not recovered and "
                f"why; re-probe until every reachable host follows {chosen}.",
                new_master=chosen,
                expected=expected,
            )
        )
        if unknown:
            notes.append(
                f"UUID unknown for {', '.join(unknown)} (inventory never read): whether recover-slaves reached "
                f"{'it' if len(unknown) == 1 else 'them'} cannot be checked from its output."
            )
        if old is not None:
            notes.append(
                f"When {old} comes back it demotes itself if it can reach {chosen}; if it comes back cut off it "
                f"stays master (split brain): then run pool-recover-slaves on {chosen}, never on {old}."
            )
    checks.extend(forbidden_checks(steps, diagnosis))
    if diagnosis.recommendation is not None and diagnosis.recommendation.action.value != "promote":
        notes.insert(0, f"The diagnosis recommends: {diagnosis.recommendation.reason}")
    title = f"Promote {chosen} and recover the slaves" if chosen else "Promote a slave and recover the others"
    return PromoteAndRecoverPlan(
        **plan_fields(diagnosis, fs, title, steps, checks, notes),
        old_master=old,
        candidate=chosen,
        expected=expected,
        unknown_uuid=unknown,
        candidates=options,
    )


def _with_host(host: str, cause: str) -> str:
    """`plot1: no answer in 3 s`, without repeating the name when the cause already starts with it."""
    return cause if cause.startswith(f"{host}: ") else f"{host}: {cause}"
