"""Plans as data: what the console would run, where, why, and what must hold first.

A `Plan` is pure data (pydantic, JSON-able): the steps to run one by one
(`Step`: host, exact command, why, precondition, how its effect is checked),
the preconditions checked when the plan was made (`Check`), and the actions
forbidden right now with the reason (`ForbiddenStep`).  Nothing here does
I/O; the planning functions live in one package per feature
(`recover/`, `splitbrain/`, `designate/`, `storage/`, `onboard/`), each registering its kinds of
step (`kinds.register_step`), and `runner.PlanRunner`
runs a plan through the engine's sessions.

`Plan.blocked` is true when a precondition failed; `Plan.blocked_reason`
names it.  A blocked plan still lists its steps so the console can show what
it would do once the precondition holds, but the runner refuses to run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field

from xentui.diagnosis import Action, Diagnosis
from xentui.xe.errors import host_param_name_and_uuid, parse_xe_error
from xentui.core.model import HostFacts

__all__ = [
    "Check",
    "FactsLike",
    "ForbiddenStep",
    "Plan",
    "Step",
    "StepAction",
    "facts_by_name",
    "host_named_in_error",
    "plan_report",
    "plan_text",
]


class StepAction(StrEnum):
    """What a step does: the vocabulary of plans; the feature that plans a kind registers how it is
    built, guarded and read back (`kinds.register_step`)."""

    PROMOTE = "promote"  # xe pool-emergency-transition-to-master
    RECOVER_SLAVES = "recover-slaves"  # xe pool-recover-slaves
    RESET_MASTER = "reset-master"  # xe pool-emergency-reset-master master-address=…
    DESIGNATE_NEW_MASTER = "designate-new-master"  # xe pool-designate-new-master host-uuid=…
    RESTART_TOOLSTACK = "restart-toolstack"  # xe-toolstack-restart
    HOST_FORGET = "host-forget"  # xe host-forget uuid=… --force (never planned; guarded)
    SR_CREATE = "sr-create"  # xe sr-create … device-config:device=/dev/<device> host-uuid=… (local storage)
    # Onboarding (actions/onboard/ performs them: see PlanRunner's `performers`)
    TRUST_HOST_KEY = "trust-host-key"  # append the admin-accepted key to known_hosts, reconnect
    UPDATE_UPLOAD = "update-upload"  # sftp put + xe update-upload (patch-upload on old releases)
    UPDATE_APPLY = "update-apply"  # xe update-apply, read back from update-list
    POOL_JOIN = "pool-join"  # xe pool-join (password on stdin), read back from both sides
    HA_DISABLE = "ha-disable"  # xe host-emergency-ha-disable --force, read back: local.db ha.armed=false (actions/ha)
    # Out-of-band power and stranded VMs (actions/power/ performs the BMC steps, reads each back)
    FENCE = "fence"  # BMC ForceOff of a lost host, Off read back, before anything takes over its work
    ATTEST_OFF = "attest-off"  # no BMC: the admin types the host's name to attest it is physically off
    POWER_ON = "power-on"  # BMC On, On read back, then the host watched coming back
    POWER_OFF = "power-off"  # BMC ForceOff, Off read back
    POWER_CYCLE = "power-cycle"  # BMC PowerCycle (or ForceRestart), On read back
    VM_RESET_POWERSTATE = "vm-reset-powerstate"  # xe vm-reset-powerstate uuid=… --force (host fenced/attested)
    VM_START = "vm-start"  # xe vm-start uuid=… [on=…], running on a live host read back


class Step(BaseModel):
    """One command on one host.

    `precondition` says (in words) what must still hold just before it runs;
    `verify` says how the runner checks its effect (by re-probing or reading
    pool.conf, never by trusting the printed message).  The machine-readable
    fields after those tell the runner what to check:

    * `new_master`: the host every reachable host should follow afterwards
      (promote / recover-slaves / reset-master / designate);
    * `expected`: name -> UUID of the hosts recover-slaves should print;
    * `master_address`: the address reset-master points the host at;
    * `target_uuid`: the UUID designate / host-forget / sr-create act on;
    * `device`, `name_label`: sr-create's device and the new SR's name;
    * `override`: recover-slaves on a host the diagnosis refuses, confirmed by
      the admin typing the host name (already written to the audit log).
    """

    host: str
    command: str
    why: str
    precondition: str | None = None
    verify: str = ""
    action: StepAction
    dangerous: bool = True  # the runner asks `confirm(step)` first
    new_master: str | None = None
    expected: dict[str, str] = Field(default_factory=dict)
    master_address: str | None = None
    target_uuid: str | None = None  # designate / host-forget: the host's own INSTALLATION_UUID
    device: str | None = None  # sr-create: the kernel name of the device (sdb1)
    name_label: str | None = None  # sr-create: the new SR's name-label
    override: bool = False
    timeout: float = 60.0  # bound of the remote command (seconds)
    # the confirmation is the host's name typed by the admin, never a blanket yes (`--yes`)
    typed: bool = False
    # stranded VMs: the VM, the lost host whose fence (or attestation) gates its reset, where to start it
    vm_uuid: str | None = None
    lost_host: str | None = None
    lost_uuid: str | None = None
    start_on: str | None = None  # host UUID for `on=`


class Check(BaseModel):
    """One precondition: `ok` False blocks the plan; `warning` marks an ok-with-doubt."""

    name: str
    ok: bool
    detail: str
    warning: bool = False


class ForbiddenStep(BaseModel):
    """An action the console refuses right now, and why."""

    host: str | None = None
    command: str
    why: str
    action: str = ""


class Plan(BaseModel):
    """A proposed sequence of steps, with the checks that allow it."""

    kind: str  # "promote-and-recover", "heal-split-brain", "designate-master", "recommendation", "none"
    title: str
    pool: str = ""
    verdict: str
    summary: str = ""
    steps: list[Step] = Field(default_factory=list)
    preconditions: list[Check] = Field(default_factory=list)
    forbidden: list[ForbiddenStep] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # Steps offered only when a condition is met after the run (the runner's
    # RunReport says which apply); `when` of each is in its `precondition`.
    contingency: list[Step] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def blocked(self) -> bool:
        return any(not c.ok for c in self.preconditions)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def blocked_reason(self) -> str | None:
        failed = [c for c in self.preconditions if not c.ok]
        if not failed:
            return None
        return "; ".join(f"{c.name}: {c.detail}" for c in failed)

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.preconditions if c.ok and c.warning]

    def report(self) -> dict[str, Any]:
        return plan_report(self)


FactsLike = Mapping[str, HostFacts] | Sequence[HostFacts]


def facts_by_name(facts: FactsLike) -> dict[str, HostFacts]:
    """The facts keyed by host name (the engine's `facts` dict, or a list of HostFacts)."""
    if isinstance(facts, Mapping):
        return {f.name: f for f in facts.values()}
    out: dict[str, HostFacts] = {}
    for f in facts:
        out.setdefault(f.name, f)
    return out


def forbidden_from_diagnosis(diagnosis: Diagnosis) -> list[ForbiddenStep]:
    return [
        ForbiddenStep(host=fb.host, command=fb.command or str(fb.action), why=fb.reason, action=str(fb.action))
        for fb in diagnosis.forbidden
    ]


def merge_forbidden(*groups: Sequence[ForbiddenStep]) -> list[ForbiddenStep]:
    """One entry per (action, host, command), in first-seen order."""
    seen: dict[tuple[str, str | None, str], ForbiddenStep] = {}
    for group in groups:
        for fb in group:
            key = (fb.action, fb.host, fb.command)
            if key not in seen:
                seen[key] = fb
    return list(seen.values())


# --------------------------------------------------------------------------- output


def plan_report(plan: Plan) -> dict[str, Any]:
    """The JSON shape of `xentui plan --json`."""
    return {
        "pool": plan.pool,
        "kind": plan.kind,
        "title": plan.title,
        "verdict": plan.verdict,
        "summary": plan.summary,
        "blocked": plan.blocked,
        "blocked_reason": plan.blocked_reason,
        "steps": [
            {"host": s.host, "command": s.command, "why": s.why, "precondition": s.precondition, "verify": s.verify}
            for s in plan.steps
        ],
        "preconditions": [c.model_dump(mode="json") for c in plan.preconditions],
        "forbidden": [{"host": f.host, "command": f.command, "why": f.why} for f in plan.forbidden],
        "contingency": [
            {"host": s.host, "command": s.command, "why": s.why, "when": s.precondition} for s in plan.contingency
        ],
        "notes": list(plan.notes),
    }


def plan_text(plan: Plan) -> str:
    """The human-readable form of `xentui plan`."""
    summary = plan.summary.removeprefix(f"Pool {plan.pool}: ") if plan.pool else plan.summary
    lines = [f"Pool {plan.pool}: {plan.verdict.upper()} — {summary}" if plan.pool else f"{plan.verdict.upper()} — {summary}"]
    lines.append("")
    lines.append(f"Plan: {plan.title}" + ("   [BLOCKED]" if plan.blocked else ""))
    if plan.preconditions:
        lines.append("Checked first:")
        for c in plan.preconditions:
            mark = "ok  " if c.ok and not c.warning else ("WARN" if c.ok else "FAIL")
            lines.append(f"  [{mark}] {c.name}: {c.detail}")
    if plan.steps:
        lines.append("Steps (nothing has been run):")
        for i, s in enumerate(plan.steps, 1):
            lines.append(f"  {i}. on {s.host}: {s.command}")
            lines.append(f"     why: {s.why}")
            if s.precondition:
                lines.append(f"     only if: {s.precondition}")
            if s.verify:
                lines.append(f"     then check: {s.verify}")
    else:
        lines.append("Steps: none.")
    for s in plan.contingency:
        lines.append(f"  If {s.precondition}: on {s.host}: {s.command}")
        lines.append(f"     why: {s.why}")
    for n in plan.notes:
        lines.append(f"Note: {n}")
    if plan.blocked:
        lines.append(f"Blocked: {plan.blocked_reason}")
    for f in plan.forbidden:
        lines.append(f"Do NOT: {f.command}" + (f" on {f.host}" if f.host else "") + f" — {f.why}")
    return "\n".join(lines)


def action_of(a: Action) -> StepAction | None:
    """The step kind of a diagnosis action (None for none/investigate)."""
    return {
        Action.PROMOTE: StepAction.PROMOTE,
        Action.RECOVER_SLAVES: StepAction.RECOVER_SLAVES,
        Action.RESET_MASTER: StepAction.RESET_MASTER,
        Action.RESTART_TOOLSTACK: StepAction.RESTART_TOOLSTACK,
        Action.DESIGNATE_NEW_MASTER: StepAction.DESIGNATE_NEW_MASTER,
        Action.HOST_FORGET: StepAction.HOST_FORGET,
        Action.HA_DISABLE: StepAction.HA_DISABLE,
    }.get(a)


def forbidden_checks(steps: Sequence[Step], diagnosis: Diagnosis) -> list[Check]:
    """A failing check for every step the diagnosis forbids right now."""
    out: list[Check] = []
    for s in steps:
        for fb in diagnosis.forbidden:
            if action_of(fb.action) is s.action and fb.host in (None, s.host) and not s.override:
                out.append(Check(name=f"{s.action} on {s.host} allowed", ok=False, detail=fb.reason))
    return out


def host_named_in_error(stderr: str, facts: FactsLike | None = None) -> str | None:
    """The host an xe error names (`host: <uuid> (plotN)`), as a configured name when possible."""
    err = parse_xe_error(stderr)
    value = err.param("host")
    if value is None:
        return None
    uuid, label = host_param_name_and_uuid(value)
    if facts is not None:
        for f in facts_by_name(facts).values():
            if f.uuid and f.uuid.lower() == uuid.lower():
                return f.name
    return label or uuid
