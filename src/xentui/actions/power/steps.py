"""The power feature's kinds of step, performed and read back (registered by the package's __init__).

The runner confirms (naming the host and the BMC action), honours dry-run and
writes the audit; these performers do the step and read its effect back:

* FENCE / POWER_OFF: read the power first (already Off: nothing sent), then
  ForceOff, then read again until Off within `power_settle_timeout`. A BMC that
  still says On is a failed step: the VM reset stays refused.
* POWER_ON: On, On read back, the attestation (if any) withdrawn, then the host
  probed until it answers SSH and says whom it follows: a slave (done) or a
  master (split brain: `xentui plan` proposes the heal).
* POWER_CYCLE: PowerCycle (or ForceRestart), On read back.
* ATTEST_OFF: the admin typed the host's name (the runner's typed confirmation);
  kept as an attestation, audited as one.
* VM_RESET_POWERSTATE: re-read the VM (still running on the lost host? else a
  clear refusal, nothing changed), re-check the gate (fenced or attested), then
  the reset, power-state halted read back.
* VM_START: the start, then power-state running on a live host read back.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from xentui.core.model import CommandResult, Role, XapiView
from xentui.core.power import PowerState
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error
from xentui.xe.records import XeParseError, parse_records

from xentui.actions.plan import Step, StepAction
from xentui.actions.power.gate import off_gate

__all__ = ["perform_attest", "perform_power", "perform_vm_reset", "perform_vm_start"]

_ACTION = {StepAction.FENCE: "off", StepAction.POWER_OFF: "off", StepAction.POWER_ON: "on", StepAction.POWER_CYCLE: "cycle"}
_WANT = {"off": PowerState.OFF, "on": PowerState.ON, "cycle": PowerState.ON}


def _result(step: Step, started: float, *, ok: bool, stdout: str = "", error: str | None = None,
            command: str | None = None, cr: CommandResult | None = None) -> CommandResult:
    if cr is not None:
        return cr
    return CommandResult(host=step.host, command=command or step.command, exit_status=0 if ok else None,
                         stdout=stdout, stderr="", started=started, duration=time.monotonic() - started,
                         error=None if ok else error)


async def perform_power(run: Any, step: Step) -> Any:
    from xentui.actions.runner import Performed
    from xentui.engine.bmc import BmcError

    engine = run.engine
    power = engine.power
    s = engine.settings
    action = _ACTION[step.action]
    want = _WANT[action]
    started = time.monotonic()
    before = await power.read(step.host)
    if before is None:
        why = f"{step.host}: no BMC configured ([pool.bmc.{step.host}] in the config); nothing was changed"
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    if before.error:
        return Performed(_result(step, started, ok=False, error=before.error), explanation=before.error)
    warn = f" (warning: {before.warning})" if before.warning else ""
    if action == "off" and before.state is PowerState.OFF:
        text = f"{step.host}: its BMC already says Off (read at {time.strftime('%H:%M:%S', time.gmtime(before.at))}): nothing sent"
        return Performed(_result(step, started, ok=True, stdout=text), verified=True, verification=text + warn)
    try:
        sent = await power.act(step.host, action)
    except BmcError as e:
        return Performed(_result(step, started, ok=False, error=str(e)), explanation=str(e))
    deadline = time.monotonic() + s.power_settle_timeout
    if action == "cycle":
        await asyncio.sleep(min(s.power_poll_interval, s.power_settle_timeout))
    reached, after = await power.wait_for(step.host, want, deadline)
    cr = _result(step, started, ok=True, stdout=f"sent {sent}", command=f"{step.command} [{sent}]")
    seen = (after.raw or after.state) if after is not None else "nothing"
    if not reached:
        err = f" ({after.error})" if after is not None and after.error else ""
        text = (f"the BMC still says {seen}{err} {s.power_settle_timeout:g} s after {sent}: {step.host} may still be "
                f"running" + ("; its VMs' reset stays refused" if action == "off" else ""))
        return Performed(cr, verified=False, verification=text)
    text = f"{step.host}: the BMC reads PowerState {seen}" + warn
    if step.action is StepAction.FENCE:
        text = f"{step.host} fenced: the BMC reads PowerState {seen}" + warn
    if action == "on":
        power.attestations.pop(step.host, None)  # it is on now: an earlier "it is off" no longer holds
        engine.publish(engine.facts[step.host])
        ok, back = await watch_return(run, step.host, time.monotonic() + s.power_on_timeout)
        return Performed(cr, verified=ok, verification=f"{text}; {back}")
    return Performed(cr, verified=True, verification=text)


async def watch_return(run: Any, host: str, deadline: float) -> tuple[bool, str]:
    """Probe `host` until it answers SSH and its toolstack says whom it follows."""
    engine = run.engine
    interval = engine.settings.power_poll_interval
    while True:
        f = await engine.probe_host(host)
        if f.reachable and f.xapi in (XapiView.SLAVE, XapiView.MASTER, XapiView.EMERGENCY):
            if f.role is Role.MASTER or f.xapi is XapiView.MASTER:
                return True, (f"{host} is back believing it is master: split brain — heal it from the master the pool "
                              f"follows (`xentui plan` proposes it)")
            if f.xapi is XapiView.SLAVE:
                return True, f"{host} is back as a slave of {f.xapi_master_address or f.master_address}"
            return True, (f"{host} is back, its toolstack in emergency mode ({f.xapi_detail or 'its master unreachable'}): "
                          f"it follows {f.master_address or '?'} per pool.conf")
        if time.monotonic() >= deadline:
            said = "answers SSH" if f.reachable else "does not answer SSH"
            return False, f"{host} powered on but not back yet: it {said} (toolstack: {f.xapi})"
        await asyncio.sleep(interval)


async def perform_attest(run: Any, step: Step) -> Any:
    from xentui.actions.runner import Performed

    started = time.monotonic()
    f = run.engine.facts.get(step.host)
    if f is not None and f.reachable:
        why = f"{step.host} answers SSH: it is not off; nothing was attested"
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    a = run.engine.power.attest(step.host, typed=step.host)
    run.audit.record(step.host, step.command, outcome="attestation",
                     detail=f"{a.operator or 'the admin'} typed {a.typed!r} to attest {step.host} is physically off: "
                            "a statement, not an observation")
    text = f"{step.host} attested off by the admin (not observed)"
    return Performed(_result(step, started, ok=True, stdout=text), verified=None, verification=text)


async def _read_vm(run: Any, step: Step) -> tuple[dict[str, str] | None, CommandResult, str | None]:
    engine = run.engine
    t = engine.settings.command_timeout
    cr = await engine.sessions[step.host].run(xc.timeout_wrapped(t, xc.vm_list_one(step.vm_uuid or "")), t + 5, record=False)
    if not cr.ok:
        said = (cr.stderr.strip().splitlines() or [cr.error or f"exit {cr.exit_status}"])[0]
        return None, cr, f"could not read {step.name_label} back on {step.host}: {said}"
    try:
        recs = parse_records(cr.stdout)
    except XeParseError as e:
        return None, cr, f"xe vm-list printed what xentui cannot read: {e}"
    if not recs:
        return None, cr, f"{step.name_label} ({step.vm_uuid}) is no longer in {step.host}'s database"
    return recs[0], cr, None


async def perform_vm_reset(run: Any, step: Step) -> Any:
    from xentui.actions.runner import Performed

    started = time.monotonic()
    engine = run.engine
    lost = step.lost_host or ""
    gate = off_gate(engine.facts, lost)
    if not gate.open:
        why = f"refused: {gate.why}; nothing was changed"
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    if step.host not in engine.sessions:
        why = f"refused: {step.host} has no session in this engine; nothing was changed"
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    rec, cr, err = await _read_vm(run, step)
    if err is not None or rec is None:
        why = f"refused: {err}; nothing was changed"
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    state, resident = rec.get("power-state", ""), rec.get("resident-on", "")
    if state != "running" or (step.lost_uuid and resident.lower() != step.lost_uuid.lower()):
        now = f"{state}, resident on {resident or '?'}"
        why = (f"refused: {step.name_label} is no longer where the list said (running on {lost}): it is {now}; "
               "nothing was changed — re-read the stranded VMs")
        return Performed(_result(step, started, ok=False, error=why), explanation=why)
    t = step.timeout
    sent = xc.timeout_wrapped(t, step.command)
    cr = await engine.sessions[step.host].run(sent, t + 5, record=False)
    if not cr.ok:
        err = parse_xe_error(cr.stderr)
        why = f"vm-reset-powerstate of {step.name_label} failed" + (f" ({err.code})" if err.code else "") + \
              f": {err.plain or cr.stderr.strip() or cr.error}"
        if err.code == "HOST_IS_LIVE":
            why += f" — xapi reached {lost}: it is not dead; stop here"
        return Performed(cr, explanation=why)
    rec, _, err = await _read_vm(run, step)
    if rec is None:
        return Performed(cr, verified=False, verification=err or "not read back")
    ok = rec.get("power-state") == "halted"
    return Performed(cr, verified=ok, verification=f"{step.name_label}: power-state {rec.get('power-state')} read back "
                                                    f"({gate.why.split(':')[0]})")


async def perform_vm_start(run: Any, step: Step) -> Any:
    from xentui.actions.runner import Performed

    engine = run.engine
    t = step.timeout
    cr = await engine.sessions[step.host].run(xc.timeout_wrapped(t, step.command), t + 5, record=False)
    if not cr.ok:
        err = parse_xe_error(cr.stderr)
        why = f"vm-start of {step.name_label} failed" + (f" ({err.code})" if err.code else "") + \
              f": {err.plain or cr.stderr.strip() or cr.error}"
        return Performed(cr, explanation=why)
    rec, _, err = await _read_vm(run, step)
    if rec is None:
        return Performed(cr, verified=False, verification=err or "not read back")
    live = {f.uuid.lower(): n for n, f in engine.facts.items() if f.uuid and f.reachable and n != step.lost_host}
    where = rec.get("resident-on", "").lower()
    ok = rec.get("power-state") == "running" and where in live
    text = (f"{step.name_label}: running on {live[where]}" if ok else
            f"{step.name_label}: power-state {rec.get('power-state')}, resident on {rec.get('resident-on')}: not on a live host")
    return Performed(cr, verified=ok, verification=text)
