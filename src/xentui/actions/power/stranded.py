"""Stranded VMs: running, per the master's database, on a host that is lost (gather + pure plan).

After `pool-emergency-transition-to-master` the new master's database still
shows the lost host's VMs as running, resident on the lost host (xcp-ng/xcp
issue 500): `vm-start` refuses them (VM_BAD_POWER_STATE expected halted,
actual running) until their power state is reset.

* `read_stranded(engine, master, lost)`: on the master the pool follows,
  ``xe vm-list resident-on=<lost uuid> power-state=running
  is-control-domain=false params=…`` (bounded), parsed;
* `plan_stranded_vms(facts, diagnosis, master, lost, vms, ha_enabled)`: per
  VM ``xe vm-reset-powerstate uuid=… --force`` then ``xe vm-start uuid=…
  [on=…]``, each read back. Blocked, with the reason, while the lost host is
  neither fenced nor attested (`gate.off_gate`); on an HA pool the VMs HA
  protects (ha-restart-priority restart / best-effort) are listed, not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from xentui.core.model import HostFacts
from xentui.diagnosis import Diagnosis
from xentui.xe import commands as xc
from xentui.xe.records import XeParseError, parse_records

from xentui.actions.guards import plan_fields
from xentui.actions.plan import Check, FactsLike, Plan, Step, StepAction, facts_by_name
from xentui.actions.power.gate import off_gate

if TYPE_CHECKING:
    from xentui.engine.pool import PoolEngine

__all__ = ["StrandedPlan", "StrandedVM", "lost_hosts", "parse_vms", "plan_stranded_vms", "read_stranded", "serving_master"]

HA_PROTECTED = ("restart", "best-effort")  # constants.ml ha_restart, ha_best_effort


class StrandedVM(BaseModel):
    uuid: str
    name: str
    ha_restart_priority: str = ""
    power_state: str = "running"
    resident_on: str = ""

    @property
    def ha_protected(self) -> bool:
        return self.ha_restart_priority in HA_PROTECTED


class StrandedPlan(Plan):
    kind: str = "stranded-vms"
    lost_host: str | None = None
    master: str | None = None
    vms: list[StrandedVM] = Field(default_factory=list)
    ha_left: list[StrandedVM] = Field(default_factory=list)  # shown, not touched: HA's job
    gate: str = ""
    read_error: str | None = None


def parse_vms(stdout: str) -> list[StrandedVM]:
    """The records of `vm-list params=…` as StrandedVMs (a record without a valid UUID is skipped)."""
    out: list[StrandedVM] = []
    for rec in parse_records(stdout):
        try:
            uuid = xc.validate_uuid(rec.get("uuid", ""))
        except ValueError:
            continue
        out.append(StrandedVM(uuid=uuid, name=rec.get("name-label", ""), ha_restart_priority=rec.get("ha-restart-priority", ""),
                              power_state=rec.get("power-state", ""), resident_on=rec.get("resident-on", "")))
    return out


def lost_hosts(facts: FactsLike, diagnosis: Diagnosis) -> list[str]:
    """Configured hosts the jump box does not reach, whose UUID is known (what the master's DB calls them)."""
    fs = facts_by_name(facts)
    return [n for n, f in fs.items() if not f.reachable and f.uuid]


def serving_master(facts: FactsLike, diagnosis: Diagnosis) -> str | None:
    """The master the pool follows, if the jump box reaches it."""
    fs = facts_by_name(facts)
    name = diagnosis.master.name if diagnosis.master is not None else None
    if name in fs and fs[name].reachable:
        return name
    reachable = [m for m in diagnosis.masters if m in fs and fs[m].reachable]
    return reachable[0] if len(reachable) == 1 else None


async def read_stranded(engine: PoolEngine, master: str, lost: str) -> tuple[list[StrandedVM], str | None]:
    """The lost host's running VMs per the master's database: (vms, error in words or None)."""
    uuid = engine.facts[lost].uuid or ""
    try:
        command = xc.vm_list_resident(uuid)
    except ValueError as e:
        return [], f"{lost}: its UUID is not known ({e})"
    timeout = engine.settings.command_timeout
    cr = await engine.sessions[master].run(xc.timeout_wrapped(timeout, command), timeout + 5)
    if not cr.ok:
        said = (cr.stderr.strip().splitlines() or [cr.error or f"exit {cr.exit_status}"])[0]
        return [], f"{master}: xe vm-list did not answer: {said}"
    try:
        return parse_vms(cr.stdout), None
    except XeParseError as e:
        return [], f"{master}: xe vm-list printed what xentui cannot read: {e}"


def _live_uuids(fs: Mapping[str, HostFacts], lost: str) -> dict[str, str]:
    return {f.uuid: n for n, f in fs.items() if n != lost and f.reachable and f.uuid}


def plan_stranded_vms(
    facts: FactsLike, diagnosis: Diagnosis, master: str | None, lost: str, vms: list[StrandedVM],
    *, start_on: Mapping[str, str] | None = None, read_error: str | None = None, now: float | None = None,
) -> StrandedPlan:
    """Per VM: reset (gated by the lost host's fence or attestation), start, read back (see the module doc)."""
    fs = facts_by_name(facts)
    title = f"Start the VMs stranded on {lost} elsewhere"
    lost_uuid = fs[lost].uuid if lost in fs else None
    gate = off_gate(fs, lost, now)
    ha_enabled = bool(master and fs.get(master) and fs[master].ha_enabled)
    touched = [v for v in vms if not (ha_enabled and v.ha_protected)]
    ha_left = [v for v in vms if ha_enabled and v.ha_protected]
    checks = [Check(name="master reachable", ok=master is not None,
                    detail=f"commands run on {master}, the master the pool follows" if master else
                    "no reachable master the pool follows: the VMs cannot be read or started")]
    if read_error:
        checks.append(Check(name="VM list read", ok=False, detail=read_error))
    checks.append(Check(name=f"{lost} fenced or attested off", ok=gate.open, detail=gate.why))
    notes = []
    if ha_left:
        notes.append("HA is enabled: " + ", ".join(f"{v.name} ({v.ha_restart_priority})" for v in ha_left)
                     + " are HA's to restart: shown, not touched.")
    if not vms and not read_error:
        notes.append(f"No VM is running on {lost} per {master}'s database: nothing is stranded.")
    steps: list[Step] = []
    if not gate.open and fs.get(lost) is not None and not fs[lost].reachable and (
        fs[lost].power is None or fs[lost].power.error
    ) and touched:
        # no BMC that answers: the one way through is the admin's word, typed
        notes.append(f"To unblock: attest {lost} is physically off (`xentui power attest {lost}`: type its name).")
    elif not gate.open and touched:
        notes.append(f"To unblock: fence {lost} through its BMC (`xentui power off {lost}`), Off read back.")
    live = _live_uuids(fs, lost)
    for v in touched:
        on = (start_on or {}).get(v.uuid)
        common: dict[str, Any] = dict(host=master or "?", vm_uuid=v.uuid, name_label=v.name, lost_host=lost,
                                      lost_uuid=lost_uuid)
        steps.append(Step(
            command=xc.vm_reset_powerstate(v.uuid, force=True),
            why=(f"{v.name} is marked running on {lost}, which is off: mark it halted in the database "
                 f"(vm-start refuses it until then: VM_BAD_POWER_STATE)"),
            precondition=f"{lost} fenced or attested off; {v.name} still running on {lost} per the database (re-read first)",
            verify="power-state halted read back", action=StepAction.VM_RESET_POWERSTATE, **common))
        where = f" on {live.get(on, on)}" if on else " on a live host xapi chooses"
        steps.append(Step(
            command=xc.vm_start(v.uuid, on=on), why=f"start {v.name}{where}",
            verify="power-state running, resident on a live host, read back", action=StepAction.VM_START,
            start_on=on, **common))
    return StrandedPlan(
        **plan_fields(diagnosis, fs, title, steps, checks, notes),
        lost_host=lost, master=master, vms=vms, ha_left=ha_left, gate=gate.why, read_error=read_error,
    )

