"""Power plans (pure): fence before promote, a host's power on / off / cycle, an attestation.

* `fence_first(plan, facts)`: a promote plan whose lost master has a BMC that
  answers gets a first step, FENCE (ForceOff, Off read back), recommended and
  explained. Without a BMC (or with one that does not answer) the plan is
  unchanged and says, in a note, that the lost host's VMs will wait for an
  attestation: the operator typing its name once it is physically off.
* `plan_power(host, action, facts)`: one BMC step (on, off, cycle), the power
  state read back; power on also watches the host come back (slave: done;
  master: the split-brain heal plan applies).
* `plan_attest_off(host, facts)`: one step, confirmed by typing the host's
  name, audited as an attestation, not as a fact.
"""

from __future__ import annotations

from collections.abc import Mapping

from xentui.core.model import HostFacts
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name

__all__ = ["attest_step", "bmc_command", "fence_first", "fence_step", "plan_attest_off", "plan_power"]

_RESET = {StepAction.FENCE: "ForceOff", StepAction.POWER_OFF: "ForceOff", StepAction.POWER_ON: "On",
          StepAction.POWER_CYCLE: "PowerCycle (or ForceRestart)"}
_WANT = {StepAction.FENCE: "Off", StepAction.POWER_OFF: "Off", StepAction.POWER_ON: "On", StepAction.POWER_CYCLE: "On"}


def bmc_command(action: StepAction, host: str, bmc: str, protocol: str = "redfish") -> str:
    """What the confirmation, the plan and the audit show for a BMC step (no secret in it)."""
    if protocol == "ipmi":
        word = {"ForceOff": "off", "On": "on"}.get(_RESET[action], "reset")
        return f"BMC of {host} ({bmc}): IPMI chassis power {word}"
    return f"BMC of {host} ({bmc}): Redfish ComputerSystem.Reset ResetType={_RESET[action]}"


def _bmc_of(f: HostFacts | None) -> tuple[str, str] | None:
    if f is None or f.power is None:
        return None
    return f.power.bmc, ("ipmi" if f.power.bmc.startswith("ipmi://") else "redfish")


def fence_step(host: str, facts: Mapping[str, HostFacts]) -> Step | None:
    bmc = _bmc_of(facts.get(host))
    if bmc is None:
        return None
    return Step(
        host=host,
        command=bmc_command(StepAction.FENCE, host, *bmc),
        why=(f"Fence {host} first (recommended): a master cut off by its cable keeps running its VMs and claims "
             f"master again when the cable comes back. Powered off it can do neither: no split brain, and its VMs "
             f"may then be started on the survivors without running twice."),
        precondition=f"{host} still does not answer SSH",
        verify="the BMC reads PowerState Off (read again until Off, within power_settle_timeout); Off = fenced",
        action=StepAction.FENCE,
    )


def attest_step(host: str) -> Step:
    return Step(
        host=host,
        command=f"attest: {host} is physically off (no BMC reading says so: the admin types {host})",
        why=(f"{host} has no BMC that answers: only you can tell it is off (power cable out, switched off at the "
             f"PDU, seen dark). Type its name to attest it; the audit records an attestation, not a fact."),
        verify="recorded as an attestation (nothing on any host changes)",
        action=StepAction.ATTEST_OFF,
        typed=True,
    )


def fence_first(plan: Plan, facts: FactsLike) -> Plan:
    """The promote plan with the fence of its lost master first, when that master's BMC answers."""
    old = getattr(plan, "old_master", None)
    fs = facts_by_name(facts)
    if old is None or any(s.action is StepAction.FENCE for s in plan.steps):
        return plan
    if old not in fs:
        note = (f"The lost master is known only as {old}: no configured host is known by that address, so xentui "
                "cannot tell which BMC to fence. Fence it by name once you know it (`xentui power off <host>`).")
        return plan.model_copy(update={"notes": [*plan.notes, note]})
    f = fs[old]
    p = f.power
    if p is None:
        note = (f"{old} has no BMC in the config: nothing can fence it. Its VMs stay stranded until you attest it is "
                f"physically off (type its name); with its cable back and still running, it claims master again.")
        return plan.model_copy(update={"notes": [*plan.notes, note]})
    if p.error:
        note = (f"Not fenced: {p.error}. Its VMs stay stranded until it is fenced or you attest it is physically off.")
        return plan.model_copy(update={"notes": [*plan.notes, note]})
    step = fence_step(old, fs)
    assert step is not None
    check = Check(name=f"{old} fenced first", ok=True,
                  detail=f"its BMC answers ({p.bmc} says {p.raw or p.state}): the plan powers it off before promoting")
    return plan.model_copy(update={"steps": [step, *plan.steps], "preconditions": [*plan.preconditions, check]})


def plan_power(host: str, action: StepAction, facts: FactsLike) -> Plan:
    """One BMC action on `host`, its power state read back (power on: the host watched coming back)."""
    fs = facts_by_name(facts)
    f = fs.get(host)
    bmc = _bmc_of(f)
    checks = []
    if bmc is None:
        checks.append(Check(name=f"{host} has a BMC", ok=False, detail=f"no [pool.bmc.{host}] in the config"))
        bmc = ("no BMC", "redfish")
    elif f is not None and f.power is not None and f.power.error:
        checks.append(Check(name=f"{host}'s BMC answers", ok=False, detail=f.power.error))
    else:
        checks.append(Check(name=f"{host}'s BMC answers", ok=True,
                            detail=f"{bmc[0]} says {f.power.raw if f and f.power else '?'}"))
    verb = {StepAction.POWER_ON: "Power on", StepAction.POWER_OFF: "Power off (hard)",
            StepAction.POWER_CYCLE: "Power cycle", StepAction.FENCE: "Fence"}[action]
    why = {
        StepAction.POWER_ON: (f"Bring {host} back (the field notes' Power On): then watch it come back, as a slave "
                              "(done) or believing it is master (split brain: heal it from the master the pool follows)"),
        StepAction.POWER_OFF: f"Hard power-off of {host} through its BMC: everything it runs stops at once",
        StepAction.POWER_CYCLE: f"Hard power cycle of {host} through its BMC: everything it runs stops, then it boots",
        StepAction.FENCE: f"Fence {host}: powered off, it can neither run its VMs nor claim master",
    }[action]
    verify = f"the BMC reads PowerState {_WANT[action]}" + (
        "; then the host is probed until it answers SSH and its toolstack says who it follows"
        if action is StepAction.POWER_ON else "")
    step = Step(host=host, command=bmc_command(action, host, *bmc), why=why, verify=verify, action=action)
    return Plan(kind=str(action), title=f"{verb} {host} through its BMC", verdict="power", summary=why,
                steps=[step], preconditions=checks)


def plan_attest_off(host: str, facts: FactsLike) -> Plan:
    fs = facts_by_name(facts)
    f = fs.get(host)
    checks = [Check(name=f"{host} does not answer SSH", ok=bool(f is not None and not f.reachable),
                    detail=("it answers: it is not off" if f is not None and f.reachable else "no SSH answer"))]
    step = attest_step(host)
    return Plan(kind="attest-off", title=f"Attest that {host} is physically off", verdict="power",
                summary=step.why, steps=[step], preconditions=checks)
