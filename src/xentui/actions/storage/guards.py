"""sr-create as a kind of step: its command and its read-back (registered on import)."""

from __future__ import annotations

from xentui.core.model import CommandResult
from xentui.xe import commands as xc

from xentui.actions.kinds import ReadBack, register_step
from xentui.actions.plan import Step, StepAction
from xentui.actions.runner import RunReport

__all__ = ["new_sr_uuid"]


def new_sr_uuid(stdout: str) -> str | None:
    """The UUID sr-create printed (None when it printed none)."""
    m = xc.UUID_RE.search(stdout.lower())
    return m.group(0) if m else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


async def _verify_sr_created(
    run: ReadBack, i: int, step: Step, cr: CommandResult, report: RunReport, deadline: float
) -> tuple[bool | None, str]:
    """sr-create prints the new SR's UUID; the host's own sr-list must then name it."""
    uuid = new_sr_uuid(cr.stdout)
    if uuid is None:
        return False, f"sr-create printed no SR UUID: {_first_line(cr.stdout) or 'nothing'}"
    await run.progress(i, "verifying", f"reading SR {uuid} back from {step.host}", host=step.host)
    t = run.engine.settings.command_timeout
    read = await run.engine.sessions[step.host].run(
        xc.timeout_wrapped(t, xc.sr_list(params=["name-label"], minimal=True, uuid=uuid)), t + 5
    )
    label = read.stdout.strip() if read.ok else None
    if label is None:
        why = read.error or _first_line(read.stderr) or f"exit {read.exit_status}"
        return False, f"SR {uuid} printed, but xe sr-list on {step.host} did not answer ({why})"
    if label != step.name_label:
        return False, f"SR {uuid} printed, but xe sr-list on {step.host} names it {label!r}"
    return True, f"SR {uuid} is listed by xe sr-list on {step.host} as {label!r}"


register_step(
    StepAction.SR_CREATE,
    lambda s: xc.sr_create_local(s.device or "", s.target_uuid or "", s.name_label or ""),
    verify=_verify_sr_created,
)
