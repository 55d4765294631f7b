"""The handover plan: pool-designate-new-master on the current master (pure; see the package docstring)."""

from __future__ import annotations

from pydantic import Field

from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.facts_rules import host_is_live
from xentui.xe import commands as xc

from xentui.actions.guards import ha_check, plan_fields, planned_step
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name

__all__ = ["DesignatePlan", "plan_designate_master"]


class DesignatePlan(Plan):
    kind: str = "designate-master"
    current_master: str | None = None
    target: str = ""
    target_uuid: str | None = None
    not_live: list[str] = Field(default_factory=list)


def plan_designate_master(facts: FactsLike, diagnosis: Diagnosis, target_host: str) -> DesignatePlan:
    """Move the master role to `target_host` (see the module docstring)."""
    fs = facts_by_name(facts)
    checks: list[Check] = []
    current = diagnosis.master.name if diagnosis.master is not None else None
    if diagnosis.verdict is Verdict.SPLIT_BRAIN:
        checks.append(
            Check(name="one master", ok=False, detail="two hosts hold master: heal the split brain with pool-recover-slaves first.")
        )
    live_master = current is not None and diagnosis.verdict in (Verdict.HEALTHY, Verdict.DEGRADED)
    said = f" ({diagnosis.summary})" if diagnosis.summary else ""
    checks.append(
        Check(
            name="live master",
            ok=live_master,
            detail=f"{current} is master and answers." if live_master
            else f"the handover needs a live master to run it, and the diagnosis is {diagnosis.verdict}{said}.",
        )
    )
    target_uuid: str | None = None
    tf = fs.get(target_host)
    if tf is None:
        checks.append(Check(name="target", ok=False, detail=f"{target_host} is not a configured host."))
    else:
        if target_host == current:
            checks.append(Check(name="target", ok=False, detail=f"{target_host} is already the master."))
        src = tf.sources.get("uuid")
        stale = src is not None and src.stale
        try:
            target_uuid = xc.validate_uuid(tf.uuid or "")
        except ValueError:
            not_uuid = f" ({tf.uuid!r} is not a UUID)" if tf.uuid else ""
            detail = f"{target_host}'s INSTALLATION_UUID is not known{not_uuid}: probe it first (the UUID is never looked up by name)."
        else:
            detail = f"{target_uuid} (INSTALLATION_UUID in {target_host}'s /etc/xensource-inventory)" + (
                ": kept from an earlier probe, re-read it first" if stale else ""
            )
        checks.append(Check(name="target UUID from its own inventory", ok=target_uuid is not None and not stale, detail=detail))
    not_live: list[str] = []
    reasons: list[str] = []
    for name, f in fs.items():
        live, why = host_is_live(f)
        if not live:
            not_live.append(name)
            reasons.append(why)
    if not_live:
        checks.append(
            Check(
                name="every host live",
                ok=False,
                detail="; ".join(reasons)
                + f". The handover needs every host: {', '.join(not_live)} would abort it with HOST_OFFLINE. "
                "Bring " + ("it" if len(not_live) == 1 else "them") + " back first.",
            )
        )
    else:
        checks.append(Check(name="every host live", ok=True, detail=f"all {len(fs)} hosts answer."))
    checks.append(ha_check(fs))
    steps: list[Step] = []
    if current is not None and target_uuid is not None and tf is not None:
        steps.append(
            planned_step(
                StepAction.DESIGNATE_NEW_MASTER, current,
                why=f"Planned maintenance: move the master role from {current} to {target_host} before shutting "
                f"{current} down; an orderly handover, every host switches to {target_host}.",
                precondition=f"every host is live and {current} still answers as master.",
                verify=f"re-probe: {target_host}'s pool.conf says master and every host follows {target_host}.",
                new_master=target_host,
                target_uuid=target_uuid,
            )
        )
    # designate-new-master forbidden by the diagnosis (split brain, master not up, a host unreachable, HA)
    # shows up as the failed checks above, naming the hosts, rather than as a "Do NOT".
    title = f"Move the master role to {target_host}" + (f" (before shutting {current} down)" if current else "")
    notes = [
        "Move the master role before shutting this host down: a master that is simply switched off leaves "
        "its slaves waiting (they do not elect a new one)."
    ]
    return DesignatePlan(
        **plan_fields(diagnosis, fs, title, steps, checks, notes, shown_as_checks="designate-new-master"),
        current_master=current,
        target=target_host,
        target_uuid=target_uuid,
        not_live=not_live,
    )
