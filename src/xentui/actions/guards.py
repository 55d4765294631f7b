"""Guard rails shared by every plan and by the runner (pure), and the two kinds of step no feature owns.

* Every command comes from the `xe.commands` builders: `expected_command`
  rebuilds a step's command from its data, and `check_step` refuses a step
  whose command is anything else (so values are quoted and UUIDs validated).
* `host-forget` is never offered for a host that is merely unreachable: it
  would orphan the host (HOST_UNKNOWN_TO_MASTER) until it is reinstalled.
  Every plan lists it as forbidden for each unreachable host.
* `host-forget` / `pool-eject` run only with `--force` (without it xe asks
  "Type 'yes' to continue" on stdin, which over non-interactive SSH ends in
  "Lost connection to the server."), and `--force` is only added after the
  console's own confirmation (`forget_step(..., confirmed=True)`); the
  runner also asks `confirm(step)` before running it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.facts_rules import host_is_live, ssh_cause, toolstack_answers_locally
from xentui.core.model import CommandResult, HostFacts, SshState
from xentui.xe import commands as xc

from xentui.actions.kinds import KINDS, ReadBack, register_step
from xentui.actions.plan import Check, ForbiddenStep, Step, StepAction, forbidden_from_diagnosis, merge_forbidden

__all__ = [
    "XE_TOOLSTACK_RESTART",
    "Refused",
    "check_step",
    "expected_command",
    "forget_forbidden",
    "forget_step",
    "ha_check",
    "host_is_live",
    "plan_fields",
    "plan_header",
    "planned_step",
    "ssh_cause",
    "toolstack_answers_locally",
    "verdict_check",
]

XE_TOOLSTACK_RESTART = "/opt/xensource/bin/xe-toolstack-restart"

class Refused(ValueError):
    """A step the guard rails do not allow; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ha_check(facts: Mapping[str, HostFacts]) -> Check:
    """HA must not be armed: HA refuses the emergency commands (HA_IS_ENABLED)."""
    on = sorted(n for n, f in facts.items() if f.ha_enabled is True)
    if on:
        return Check(
            name="HA not armed",
            ok=False,
            detail=f"HA is enabled (seen on {', '.join(on)}): the command would be refused with HA_IS_ENABLED; "
            "HA elects a master by itself.",
        )
    if any(f.ha_enabled is False for f in facts.values()):
        return Check(name="HA not armed", ok=True, detail="HA is disabled (pool record).")
    return Check(
        name="HA not armed",
        ok=True,
        warning=True,
        detail="HA state unknown (no host could read the pool record); if HA is armed the command is refused "
        "with HA_IS_ENABLED and nothing changes.",
    )


def verdict_check(diagnosis: Diagnosis, wanted: Verdict, name: str, otherwise: str) -> list[Check]:
    """A failed check when the diagnosis is not `wanted`: a plan for another problem is blocked, saying so."""
    if diagnosis.verdict is wanted:
        return []
    return [Check(name=name, ok=False, detail=f"the diagnosis is {diagnosis.verdict}{otherwise}")]


def forget_forbidden(facts: Mapping[str, HostFacts]) -> list[ForbiddenStep]:
    """host-forget is forbidden for every unreachable host (it orphans it until a reinstall)."""
    out = []
    for name, f in facts.items():
        if f.ssh in (SshState.UP, SshState.UNKNOWN):
            continue
        try:
            cmd = xc.host_forget(f.uuid or "", force=True)
        except ValueError:
            cmd = f"{xc.XE} host-forget uuid=<uuid of {name}> --force"
        out.append(
            ForbiddenStep(
                host=name,
                command=cmd,
                action="host-forget",
                why=f"{name} is only unreachable ({ssh_cause(f)}), not gone: forgetting it orphans it "
                "(HOST_UNKNOWN_TO_MASTER) until it is reinstalled.",
            )
        )
    return out


def plan_header(
    diagnosis: Diagnosis, facts: Mapping[str, HostFacts], *, shown_as_checks: str | None = None
) -> dict[str, Any]:
    """The fields every plan opens with: the diagnosis it answers and what it must never do.

    The forbidden list is the diagnosis's plus host-forget for each
    unreachable host. `shown_as_checks` drops one action from the diagnosis's
    list when the plan shows it as its own failed checks instead (naming the
    hosts) rather than as a "Do NOT".
    """
    from_diagnosis = [fb for fb in forbidden_from_diagnosis(diagnosis) if fb.action != shown_as_checks]
    return dict(
        pool=diagnosis.pool,
        verdict=str(diagnosis.verdict),
        summary=diagnosis.summary,
        forbidden=merge_forbidden(from_diagnosis, forget_forbidden(facts)),
    )


def plan_fields(
    diagnosis: Diagnosis,
    facts: Mapping[str, HostFacts],
    title: str,
    steps: list[Step],
    checks: list[Check],
    notes: list[str],
    *,
    shown_as_checks: str | None = None,
) -> dict[str, Any]:
    """The fields every feature's plan is made of: `plan_header`, its title, its steps, the checks that
    allow them (`preconditions`) and its notes; the plan adds only what is its own."""
    return dict(
        title=title,
        **plan_header(diagnosis, facts, shown_as_checks=shown_as_checks),
        steps=steps,
        preconditions=checks,
        notes=notes,
    )


# --------------------------------------------------------------------------- commands


def expected_command(step: Step) -> str:
    """The command the builders make for this step's data (raises ValueError/Refused if invalid)."""
    kind = KINDS.get(step.action)
    if kind is None or kind.command is None:
        raise Refused(f"no feature registered a {step.action!r} step")
    return kind.command(step)


def planned_step(action: StepAction, host: str, **fields: Any) -> Step:
    """A step whose command is the one its kind's rule builds from its data (`register_step`).

    A plan never writes a command itself: what the pane shows is what the
    runner's check expects, and every value went through the builders."""
    draft = Step(action=action, host=host, command="", **fields)
    return draft.model_copy(update={"command": expected_command(draft)})


def _host_of_uuid(uuid: str, facts: Mapping[str, HostFacts]) -> HostFacts | None:
    for f in facts.values():
        if f.uuid and f.uuid.lower() == uuid.lower():
            return f
    return None


def forget_step(
    uuid: str,
    facts: Mapping[str, HostFacts],
    master: str,
    *,
    confirmed: bool,
    why: str = "",
) -> Step:
    """A `host-forget uuid=… --force` step, only for a host no configured entry reaches or claims.

    Refused (raises `Refused`) when the console has not confirmed yet (the
    `--force` is only added after its own confirmation), when the UUID is a
    configured host that is merely unreachable (forgetting orphans it until
    a reinstall), or one that answers (xapi refuses with HOST_IS_LIVE).
    """
    u = xc.validate_uuid(uuid)
    f = _host_of_uuid(u, facts)
    if f is not None and f.reachable:
        raise Refused(f"{f.name} answers: host-forget is refused with HOST_IS_LIVE; eject it instead.")
    if f is not None:
        raise Refused(
            f"{f.name} is only unreachable ({ssh_cause(f)}), not gone: forgetting it orphans it "
            "(HOST_UNKNOWN_TO_MASTER) until it is reinstalled."
        )
    if not confirmed:
        raise Refused(
            "host-forget needs the console's own confirmation first; only then is --force added "
            "(without it xe waits for 'yes' on stdin and the SSH call ends in 'Lost connection to the server.')."
        )
    return planned_step(
        StepAction.HOST_FORGET, master,
        why=why or f"Remove host {u} from the pool database (it is not in the configuration and is gone for good).",
        precondition="the host is physically gone and will never come back without a reinstall",
        verify="the host no longer appears in xe host-list on the master",
        target_uuid=u,
    )


def check_step(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None = None) -> str | None:
    """Why the runner must not run this step now (None: allowed).

    Checks that only xe (or xe-toolstack-restart) runs, that host-forget /
    pool-eject carry --force, that the command is exactly what the builders
    make of the step's data, that the host is configured and reachable — and
    what the feature that registered this kind of step requires (`kinds.KINDS`:
    recover-slaves only on the master the pool follows, a handover only with
    every host live, host-forget never on a configured host...).
    """
    try:
        argv = shlex.split(step.command)
    except ValueError as e:
        return f"the command does not parse ({e})"
    if not argv:
        return "empty command"
    if argv[0] not in (xc.XE, XE_TOOLSTACK_RESTART):
        return f"only {xc.XE} and {XE_TOOLSTACK_RESTART} are run, not {argv[0]!r}"
    verb = argv[1] if len(argv) > 1 else ""
    if verb in ("host-forget", "pool-eject") and "--force" not in argv:
        return (
            f"{verb} without --force waits for 'Type yes to continue' on stdin and ends in "
            "'Lost connection to the server.'; --force is added only after the console's confirmation."
        )
    try:
        expected = expected_command(step)
    except (ValueError, Refused) as e:
        return f"the step's data is invalid: {getattr(e, 'reason', None) or e}"
    if step.command != expected:
        return f"the command is not what the builders make for a {step.action} step ({expected!r})"
    rule = KINDS[step.action]
    if (why := _ha_refuses(step, facts, diagnosis)) is not None:
        return why
    if rule.early is not None and (why := rule.early(step, facts, diagnosis)) is not None:
        return why
    if step.host not in facts:
        return f"{step.host} is not a configured host"
    f = facts[step.host]
    if f.ssh not in (SshState.UP, SshState.UNKNOWN):
        return f"{step.host} is unreachable from the jump box ({ssh_cause(f)})"
    if rule.late is not None and (why := rule.late(step, facts, diagnosis)) is not None:
        return why
    return None


#: the steps xapi refuses while HA is armed (HA_IS_ENABLED on the host's own local.db ha.armed, or
#: Pool.ha_enabled for designate) or that skip armed hosts silently (recover-slaves)
_HA_REFUSED = (StepAction.PROMOTE, StepAction.RECOVER_SLAVES, StepAction.RESET_MASTER, StepAction.DESIGNATE_NEW_MASTER)


def _ha_refuses(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    """While HA elects a master, or any live host is armed: the emergency steps and the handover are refused,
    with the diagnosis's reason (it carries the time left in the election window)."""
    if step.action not in _HA_REFUSED or diagnosis is None:
        return None
    armed = sorted(n for n, f in facts.items() if f.reachable and f.ha_armed is True)
    electing = diagnosis.verdict is Verdict.HA_ELECTING
    if not armed and not electing:
        return None
    for fb in diagnosis.forbidden:
        if fb.action.value == step.action.value and fb.host in (None, step.host):
            return fb.reason
    return f"HA is armed on {', '.join(armed)}: {step.action} is refused (HA_IS_ENABLED) or skips them silently."


# --------------------------------------------------------------------------- the steps guards owns


def _forget_early(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None) -> str | None:
    f = _host_of_uuid(step.target_uuid, facts) if step.target_uuid else None
    if f is not None:
        return (
            f"{f.name} is a configured host ({'it answers' if f.reachable else 'only unreachable'}): "
            "forgetting it orphans it (HOST_UNKNOWN_TO_MASTER) until it is reinstalled."
        )
    return None


register_step(StepAction.HOST_FORGET, lambda s: xc.host_forget(s.target_uuid or "", force=True), early=_forget_early)
async def _verify_toolstack_restart(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: Any, deadline: float
) -> tuple[bool | None, str]:
    """Wait out the restart, then re-probe until the host's toolstack answers again."""
    await run.wait_fuse(i, step, min(run.fuse, 5.0), f"toolstack on {step.host} restarting")
    return await run.toolstack_answers(i, step.host, deadline)


register_step(StepAction.RESTART_TOOLSTACK, lambda s: XE_TOOLSTACK_RESTART, verify=_verify_toolstack_restart)
