"""Guard rails shared by every plan and by the executor (pure, no I/O).

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
  executor also asks `confirm(step)` before running it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from xentui.diagnosis import Diagnosis, HostFlag, Verdict
from xentui.model import HostFacts, QueryState, Role, SshState, XapiView
from xentui.xe import commands as xc

from .plan import Check, ForbiddenStep, Step, StepAction, forbidden_from_diagnosis, merge_forbidden

__all__ = [
    "XE_TOOLSTACK_RESTART",
    "Refused",
    "check_step",
    "expected_command",
    "forget_forbidden",
    "forget_step",
    "ha_check",
    "host_is_live",
    "plan_header",
    "ssh_cause",
    "toolstack_answers_locally",
]

XE_TOOLSTACK_RESTART = "/opt/xensource/bin/xe-toolstack-restart"

_SSH_TEXT = {
    SshState.UNKNOWN: "not probed yet",
    SshState.REFUSED: "connection refused",
    SshState.NO_ANSWER: "no answer to SSH",
    SshState.AUTH_FAILED: "SSH authentication failed",
    SshState.HOST_KEY_UNKNOWN: "host key not yet accepted",
    SshState.HOST_KEY_CHANGED: "host key CHANGED",
    SshState.DNS_FAILED: "name does not resolve",
    SshState.ERROR: "SSH error",
}


class Refused(ValueError):
    """A step the guard rails do not allow; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ssh_cause(f: HostFacts) -> str:
    """Why the jump box cannot reach a host, in one line."""
    if f.ssh_error:
        return f.ssh_error
    return _SSH_TEXT.get(f.ssh, str(f.ssh))


def toolstack_answers_locally(f: HostFacts) -> bool:
    """The host's own xapi answers (a login answered, or a local-only xe call did)."""
    if f.xapi is XapiView.NO_ANSWER:
        return False
    return f.xapi in (XapiView.MASTER, XapiView.SLAVE, XapiView.EMERGENCY) or f.emergency_mode is not None


def host_is_live(f: HostFacts) -> tuple[bool, str]:
    """Reachable from the jump box and its toolstack answers for the pool (what a handover needs)."""
    if not f.reachable:
        return False, f"{f.name} is unreachable ({ssh_cause(f)})"
    if f.xapi is XapiView.NO_ANSWER or f.pool_list is QueryState.NO_ANSWER:
        return False, f"{f.name}'s toolstack gives no answer"
    if f.xapi is XapiView.EMERGENCY or f.emergency_mode is True:
        return False, f"{f.name}'s toolstack is in emergency mode"
    if f.pool_list is QueryState.ANSWERED or f.xapi in (XapiView.MASTER, XapiView.SLAVE):
        return True, f"{f.name} answers"
    if f.pool_list is QueryState.ERROR:
        return False, f"{f.name}'s toolstack answers with an error ({f.pool_list_error})"
    return False, f"{f.name}'s toolstack has not answered yet"


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


# --------------------------------------------------------------------------- commands


def expected_command(step: Step) -> str:
    """The command the builders make for this step's data (raises ValueError/Refused if invalid)."""
    a = step.action
    if a is StepAction.PROMOTE:
        return xc.pool_emergency_transition_to_master()
    if a is StepAction.RECOVER_SLAVES:
        return xc.pool_recover_slaves()
    if a is StepAction.RESET_MASTER:
        if not step.master_address:
            raise Refused("reset-master without a master address")
        return xc.pool_emergency_reset_master(step.master_address)
    if a is StepAction.DESIGNATE_NEW_MASTER:
        return xc.pool_designate_new_master(step.target_uuid or "")
    if a is StepAction.RESTART_TOOLSTACK:
        return XE_TOOLSTACK_RESTART
    if a is StepAction.HOST_FORGET:
        return xc.host_forget(step.target_uuid or "", force=True)
    if a is StepAction.SR_CREATE:
        return xc.sr_create_local(step.device or "", step.target_uuid or "", step.name_label or "")
    raise Refused(f"unknown step kind {a!r}")


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
    return Step(
        host=master,
        command=xc.host_forget(u, force=True),
        why=why or f"Remove host {u} from the pool database (it is not in the configuration and is gone for good).",
        precondition="the host is physically gone and will never come back without a reinstall",
        verify="the host no longer appears in xe host-list on the master",
        action=StepAction.HOST_FORGET,
        target_uuid=u,
    )


def check_step(step: Step, facts: Mapping[str, HostFacts], diagnosis: Diagnosis | None = None) -> str | None:
    """Why the executor must not run this step now (None: allowed).

    Checks that the command is exactly what the builders make of the step's
    data, that host-forget / pool-eject carry --force and never target a
    configured host, and that recover-slaves only runs on the master the pool
    follows (unless the admin typed the host name to override).
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
    if step.action is StepAction.HOST_FORGET and step.target_uuid:
        f = _host_of_uuid(step.target_uuid, facts)
        if f is not None:
            return (
                f"{f.name} is a configured host ({'it answers' if f.reachable else 'only unreachable'}): "
                "forgetting it orphans it (HOST_UNKNOWN_TO_MASTER) until it is reinstalled."
            )
    if step.action is StepAction.PROMOTE:
        f = facts.get(step.host)
        if f is not None and f.role is Role.BROKEN:
            return f"{step.host}'s pool.conf is broken"
    if step.action is StepAction.RECOVER_SLAVES and diagnosis is not None and not step.override:
        from .splitbrain import check_recover_slaves_target  # local: splitbrain imports this module

        tc = check_recover_slaves_target(step.host, diagnosis)
        if not tc.ok:
            return tc.reason
    if step.host not in facts:
        return f"{step.host} is not a configured host"
    f = facts[step.host]
    if f.ssh not in (SshState.UP, SshState.UNKNOWN):
        return f"{step.host} is unreachable from the jump box ({ssh_cause(f)})"
    if step.action is StepAction.DESIGNATE_NEW_MASTER:
        if diagnosis is not None and diagnosis.verdict is Verdict.SPLIT_BRAIN:
            return "two hosts hold master: heal the split brain first"
        down = [why for f in facts.values() for live, why in [host_is_live(f)] if not live]
        if down:
            return "; ".join(down) + ": the handover needs every host and would abort with HOST_OFFLINE"
    if (
        diagnosis is not None
        and step.action is StepAction.PROMOTE
        and HostFlag.ORPHANED in (diagnosis.hosts.get(step.host).flags if step.host in diagnosis.hosts else [])
    ):
        return f"{step.host} was forgotten by the pool (HOST_UNKNOWN_TO_MASTER)"
    return None
