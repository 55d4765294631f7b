"""Run a Plan's steps one by one through the engine's sessions, and check what they did.

`PlanRunner(engine, audit, confirm, dry_run=False, fuse=None, on_progress=None, on_command=None)`:

* runs each step with `engine.sessions[host].run(...)`, bounded on both
  sides (`timeout …` on the host, a local timeout on the channel);
* before the first change takes the pool's lease (`actions.lease.PoolLease`:
  an atomic mkdir under /run on every reachable host, held on a majority of
  them and on every host the plan touches), renews it while the plan runs and
  releases it at the end; someone else's live lease refuses the whole run
  (`RunReport.refused == "lease"`, `holder` names them) unless `take_over(record)`
  — a typed confirmation — says yes; a lease lost mid-run stops it before the
  next step.  With `settings.read_only` nothing runs (`refused == "read-only"`);
* before each dangerous step awaits `confirm(step) -> bool` (the console
  shows a modal naming the host and the exact command; tests pass a lambda);
  a "no" stops the run there;
* checks every step against the guard rails first (`guards.check_step`:
  builder-made command, `--force` rules, recover-slaves only on the master
  the pool follows…) with the engine's latest facts and diagnosis;
* records every command in the audit log (run, refused, declined, dry-run),
  and hands every command it ran to `on_command` (the console's activity
  log marks it as an action): the runner is the one place both are written;
* verifies each step's effect by re-probing (pool.conf, `xe pool-list`, who
  follows whom), never by trusting the printed message: after a promotion it
  waits out the toolstack restart (the fuse; `on_progress` gets a tick every
  fraction of a second) and then polls until pool.conf says `master` and the
  toolstack answers as master; after recover-slaves it compares the printed
  UUIDs with the expected hosts and re-probes until every reachable host
  follows the new master;
* returns a `RunReport`: which steps ran, which succeeded, which did not run
  (declined, refused, cancelled, or after a failure), the recover-slaves
  comparison, and the contingency steps that now apply (`offers`).

`dry_run=True` runs nothing (no confirmation asked) and reports the commands.
`cancel()` stops the run before the next step or during a wait; cancelling
the task itself marks the step in flight as interrupted (`runner.report`
keeps the report so far).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, computed_field

from xentui.diagnosis import Diagnosis
from xentui.core.facts_rules import ssh_cause, toolstack_answers_locally
from xentui.core.model import QueryState, Role, XapiView
from xentui.xe import commands as xc
from xentui.xe.errors import parse_xe_error

from xentui.actions.features import load_features
from xentui.actions.guards import check_step
from xentui.actions.kinds import KINDS
from xentui.actions.lease import LeaseRefused, PoolLease, TakeOverFn
from xentui.actions.plan import Plan, Step, StepAction, host_named_in_error

from xentui.core.model import CommandResult

if TYPE_CHECKING:
    from collections.abc import Mapping

    from xentui.trail.audit import AuditLog
    from xentui.engine.pool import PoolEngine

__all__ = [
    "ConfirmFn",
    "Performed",
    "Performer",
    "PlanRunner",
    "Progress",
    "ProgressFn",
    "RecoverComparison",
    "RunReport",
    "StepResult",
    "StepStatus",
]


class StepStatus(StrEnum):
    OK = "ok"  # ran, exit 0, effect verified
    UNVERIFIED = "unverified"  # ran, exit 0, but the effect was not seen before the deadline
    FAILED = "failed"  # ran and failed (non-zero exit, connection lost)
    TIMEOUT = "timeout"  # ran, no answer in time: the effect is unknown
    INTERRUPTED = "interrupted"  # cancelled while it ran: the effect is unknown
    DECLINED = "declined"  # confirm() said no
    REFUSED = "refused"  # the guard rails refused it
    NOT_RUN = "not-run"  # never reached
    DRY_RUN = "dry-run"


RAN = {StepStatus.OK, StepStatus.UNVERIFIED, StepStatus.FAILED, StepStatus.TIMEOUT, StepStatus.INTERRUPTED}


class Progress(BaseModel):
    """One progress event: what the runner is doing now."""

    step: int | None  # 0-based index in plan.steps (None: the run as a whole)
    total: int
    phase: str  # lease | confirm | running | waiting | verifying | done | failed | stopped
    host: str | None = None
    message: str
    remaining_s: float | None = None  # waiting: seconds left of the fuse
    fuse_s: float | None = None


class StepResult(BaseModel):
    index: int
    host: str
    action: StepAction
    command: str  # as planned
    ran_command: str | None = None  # as sent (time-bounded)
    status: StepStatus = StepStatus.NOT_RUN
    exit_status: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    error_code: str | None = None
    explanation: str = ""  # plain words: why it failed / was refused / was not run
    verified: bool | None = None
    verification: str = ""  # what the re-probe saw


class RecoverComparison(BaseModel):
    """pool-recover-slaves' printed UUIDs against the hosts expected."""

    host: str  # where it ran (the new master)
    expected: dict[str, str] = Field(default_factory=dict)  # name -> UUID
    printed: list[str] = Field(default_factory=list)
    recovered: list[str] = Field(default_factory=list)  # names
    not_recovered: dict[str, str] = Field(default_factory=dict)  # name -> why
    unexpected: list[str] = Field(default_factory=list)  # printed UUIDs no configured host has
    unchecked: dict[str, str] = Field(default_factory=dict)  # name -> why: UUID unknown, cannot be compared


class RunReport(BaseModel):
    title: str
    kind: str
    dry_run: bool = False
    results: list[StepResult] = Field(default_factory=list)
    stopped: str | None = None  # why the run ended before the last step (None: it did not)
    recover: RecoverComparison | None = None
    offers: list[Step] = Field(default_factory=list)  # contingency steps that apply after the run
    not_following: list[str] = Field(default_factory=list)  # reachable hosts not following the new master
    final_verdict: str | None = None
    final_summary: str | None = None
    # why nothing ran, when the run was refused as a whole: "read-only", "lease" (someone else holds
    # the pool: `holder` says who), "blocked" (a precondition failed), "stale" (`recheck` refused it)
    refused: str | None = None
    holder: dict[str, Any] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ran(self) -> list[int]:
        return [r.index for r in self.results if r.status in RAN]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def succeeded(self) -> list[int]:
        return [r.index for r in self.results if r.status is StepStatus.OK]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def not_run(self) -> list[int]:
        return [r.index for r in self.results if r.status not in RAN]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complete(self) -> bool:
        """Every step ran and its effect was verified (a dry run is never complete)."""
        return bool(self.results) and all(r.status is StepStatus.OK for r in self.results)

    def follow_up(self) -> Plan | None:
        """The offered contingency steps as a plan of their own (run it with a new confirmation)."""
        if not self.offers:
            return None
        return Plan(
            kind="follow-up",
            title="Follow-up: " + "; ".join(f"{s.action} on {s.host}" for s in self.offers),
            verdict=self.final_verdict or "",
            summary=self.final_summary or "",
            steps=list(self.offers),
        )

    def text(self) -> str:
        """A plain-text account, one line per step."""
        lines = [f"{self.title}{' (dry run)' if self.dry_run else ''}"]
        for r in self.results:
            lines.append(f"  {r.index + 1}. [{r.status}] on {r.host}: {r.command}")
            lines.extend(f"     {x}" for x in (r.explanation, r.verification and f"check: {r.verification}") if x)
        if self.recover is not None:
            rc = self.recover
            lines.append(f"  recover-slaves on {rc.host}: {len(rc.recovered)} of {len(rc.expected)} expected hosts reset")
            lines.extend(f"     not recovered: {n}: {why}" for n, why in rc.not_recovered.items())
            lines.extend(f"     printed but not configured: {u}" for u in rc.unexpected)
            lines.extend(f"     not checked: {n}: {why}" for n, why in rc.unchecked.items())
        for s in self.offers:
            lines.append(f"  offered next: on {s.host}: {s.command} — {s.why}")
        if self.stopped:
            lines.append(f"  stopped: {self.stopped}")
        if self.final_summary:
            lines.append(f"  now: {self.final_summary}")
        return "\n".join(lines)


ConfirmFn = Callable[[Step], Awaitable[bool] | bool]
ProgressFn = Callable[[Progress], Any]


@dataclass
class Performed:
    """What a performer did: the command's result and what reading its effect back saw.

    ``verified`` False makes the step FAILED with ``verification`` as the reason (the command
    returned, its effect is not there); None means no read-back applies.
    """

    result: CommandResult
    verified: bool | None = None
    verification: str = ""
    explanation: str = ""  # plain words when the command itself failed


Performer = Callable[[Step], Awaitable[Performed]]
"""Does one step whose doing is not one command on an engine session (onboarding: an SFTP
upload, a known_hosts line, a pool-join with the password on stdin, on a host the engine does
not watch yet). The runner still checks the plan, confirms, honours dry-run and audits."""

_AUDIT_OUTCOME = {"ok": "ok", "failed": "error", "error": "error", "timeout": "timeout"}


class _Stop(Exception):
    pass


class PlanRunner:
    """Runs plans through a `PoolEngine` (see the module docstring)."""

    def __init__(
        self,
        engine: PoolEngine,
        audit: AuditLog,
        confirm: ConfirmFn | None,
        dry_run: bool = False,
        fuse: float | None = None,
        on_progress: ProgressFn | None = None,
        *,
        settle_timeout: float | None = None,
        poll_interval: float = 0.5,
        on_command: Callable[[CommandResult], Any] | None = None,
        performers: Mapping[StepAction, Performer] | None = None,
        lease: PoolLease | None = None,
        take_over: TakeOverFn | None = None,
        recheck: Callable[[Diagnosis], str | None] | None = None,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.confirm = confirm
        self.dry_run = dry_run
        self.fuse = float(fuse if fuse is not None else engine.settings.toolstack_fuse)
        self.on_progress = on_progress
        self.settle_timeout = settle_timeout if settle_timeout is not None else self.fuse + 90.0
        self.poll_interval = poll_interval
        self.on_command = on_command
        self.performers = dict(performers or {})
        load_features()  # every feature's kinds of step are registered before the first check
        self.lease = lease  # None: the runner makes its own (PoolLease over the engine) for each run
        self.take_over = take_over  # asked (typed confirmation) before taking over someone else's live lease
        # once the lease holds, the pool is probed again (a change made before we held it is seen) and
        # `recheck(diagnosis)` may refuse the plan ("stale"), saying why: `apply` compares its fingerprint
        self.recheck = recheck
        self.report: RunReport | None = None
        self._cancel = asyncio.Event()
        self._total = 0
        self._before: tuple[dict[str, Any], Diagnosis] | None = None

    # ------------------------------------------------------------------ control
    def cancel(self) -> None:
        """Stop before the next step (or during a wait); a command already sent is not interrupted."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def before(self) -> tuple[dict[str, Any], Diagnosis]:
        """The facts and diagnosis as they were when the current step was sent (`ReadBack`)."""
        return self._before or (dict(self.engine.facts), self.engine.diagnose())

    async def progress(self, step: int | None, phase: str, message: str, host: str | None = None, **kw: Any) -> None:
        if self.on_progress is None:
            return
        ev = Progress(step=step, total=self._total, phase=phase, host=host, message=message, **kw)
        try:
            out = self.on_progress(ev)
            if inspect.isawaitable(out):
                await out
        except Exception:  # a broken progress display must not stop a recovery half-way
            pass

    async def _sleep(self, seconds: float) -> None:
        """Sleep, unless cancel() is called (then raise _Stop)."""
        if seconds <= 0:
            if self._cancel.is_set():
                raise _Stop
            return
        try:
            await asyncio.wait_for(self._cancel.wait(), seconds)
        except (asyncio.TimeoutError, TimeoutError):
            return
        raise _Stop

    # ------------------------------------------------------------------ the run
    async def run(self, plan: Plan) -> RunReport:
        self._total = len(plan.steps)
        report = RunReport(title=plan.title, kind=plan.kind, dry_run=self.dry_run)
        report.results = [
            StepResult(index=i, host=s.host, action=s.action, command=s.command) for i, s in enumerate(plan.steps)
        ]
        self.report = report
        if plan.blocked and not self.dry_run:
            self.refuse(plan, report)
            report.refused = "blocked"
            await self.progress(None, "stopped", report.stopped or "")
            self._finish(report, plan)
            return report
        if getattr(self.engine.settings, "read_only", False) and not self.dry_run:
            why = "read-only: this xentui watches and changes nothing (--read-only, or read_only in [settings])"
            self._refuse_all(plan, report, "read-only", why)
            await self.progress(None, "stopped", report.stopped or "")
            return report
        if self.dry_run:
            for i, s in enumerate(plan.steps):
                res = report.results[i]
                res.status = StepStatus.DRY_RUN
                res.explanation = "dry run: not run"
                self.audit.record(s.host, s.command, outcome="dry-run", detail=f"plan {plan.title!r}: {s.why}")
                await self.progress(i, "done", f"dry run: would run on {s.host}: {s.command}", host=s.host)
            if plan.blocked:
                report.stopped = f"the plan is blocked: {plan.blocked_reason}"
            self._finish(report, plan)
            return report
        lease = self.lease or PoolLease(self.engine, self.audit)
        # a step through a host's BMC does not change it over SSH: its host need not hold the lease
        touched = [s.host for s in plan.steps if s.host in self.engine.sessions
                   and not getattr(KINDS.get(s.action), "out_of_band", False)]
        await self.progress(None, "lease", "taking the pool's lease on every reachable host")
        try:
            await lease.acquire(plan.title, touched, self.take_over)
        except LeaseRefused as e:
            self._refuse_all(plan, report, "lease", f"lease: {e}")
            report.holder = e.holder.model_dump(mode="json") if e.holder is not None else None
            await self.progress(None, "stopped", report.stopped or "")
            return report
        lease.keep()
        try:
            # the hosts that hold our lease are the ones that answer: read each again (at once), so a
            # change made before the lease held is seen; a host that did not answer keeps its facts
            await self.progress(None, "lease", "lease held; reading every host that answers again before the first change")
            await asyncio.gather(*(self.engine.probe_host(n) for n in lease.held))
            d = self.engine.diagnose()
            why = self.recheck(d) if self.recheck is not None else None
            if why:
                self._refuse_all(plan, report, "stale", why)
                await self.progress(None, "stopped", why)
                return report
            for i, step in enumerate(plan.steps):
                if self._cancel.is_set():
                    report.stopped = f"cancelled before step {i + 1}"
                    break
                if lease.lost:
                    report.stopped = f"lease lost before step {i + 1}: {lease.lost}"
                    break
                cont = await self._run_step(i, step, plan, report)
                if not cont:
                    break
        except asyncio.CancelledError:
            for r in report.results:
                if r.status is StepStatus.NOT_RUN and not r.explanation:
                    r.explanation = "not run: the run was cancelled"
            report.stopped = report.stopped or "the run was cancelled"
            raise
        finally:
            await lease.release()
        for r in report.results:
            if r.status is StepStatus.NOT_RUN and not r.explanation:
                r.explanation = "not run: " + (report.stopped or "an earlier step did not succeed")
        self._finish(report, plan)
        await self.progress(None, "done" if report.complete else "stopped", report.stopped or "all steps done")
        return report

    def refuse(self, plan: Plan, report: RunReport | None = None) -> RunReport:
        """A blocked plan: nothing runs, each step is audited as refused with the plan's reason."""
        if report is None:
            report = RunReport(title=plan.title, kind=plan.kind, dry_run=self.dry_run)
            report.results = [
                StepResult(index=i, host=s.host, action=s.action, command=s.command) for i, s in enumerate(plan.steps)
            ]
        reason = plan.blocked_reason or "the plan is blocked"
        report.stopped = f"the plan is blocked: {reason}"
        for s, r in zip(plan.steps, report.results):
            r.explanation = "not run: the plan is blocked"
            self.audit.record(s.host, s.command, outcome="refused", detail=reason)
        return report

    def _refuse_all(self, plan: Plan, report: RunReport, kind: str, why: str) -> None:
        """Nothing runs: every step audited as refused with `why`."""
        report.refused = kind
        report.stopped = why
        for s, r in zip(plan.steps, report.results):
            r.explanation = f"not run: {why}"
            self.audit.record(s.host, s.command, outcome="refused", detail=why)

    def _finish(self, report: RunReport, plan: Plan) -> None:
        if self.dry_run:
            report.offers = []
            return
        d = self.engine.diagnose()
        report.final_verdict = str(d.verdict)
        report.final_summary = d.summary
        offers = []
        for c in plan.contingency:
            f = self.engine.facts.get(c.host)
            hv = d.hosts.get(c.host)
            if f is None or not f.reachable or hv is None:
                continue
            if c.new_master is not None and hv.follows == c.new_master:
                continue
            offers.append(c)
        report.offers = offers

    async def _run_step(self, i: int, step: Step, plan: Plan, report: RunReport) -> bool:
        res = report.results[i]
        facts = self.engine.facts
        diagnosis = self.engine.diagnose()
        self._before = (dict(facts), diagnosis)  # what was known when the step was sent
        performer = self.performers.get(step.action)
        own = KINDS.get(step.action)
        if performer is None and own is not None and own.perform is not None:
            performer = functools.partial(own.perform, self)  # the feature's own performer (run, step)
        if performer is not None:
            refusal = None  # its own module built and checked it; it runs on its own session
        else:
            refusal = check_step(step, facts, diagnosis)
        if refusal is None and performer is None and step.host not in self.engine.sessions:
            refusal = f"{step.host} has no session in this engine"
        if refusal is not None:
            res.status, res.explanation = StepStatus.REFUSED, f"refused: {refusal}"
            self.audit.record(step.host, step.command, outcome="refused", detail=refusal)
            report.stopped = f"step {i + 1} refused: {refusal}"
            await self.progress(i, "failed", res.explanation, host=step.host)
            return False
        if step.override:  # recover-slaves against the diagnosis: the admin typed the host name
            self.audit.record(
                step.host, step.command, outcome="override", detail=f"admin typed {step.host!r} to override: {step.why}"
            )
        if step.dangerous or "--force" in step.command:
            await self.progress(i, "confirm", f"confirm on {step.host}: {step.command}", host=step.host)
            if self.confirm is None:
                ok = False
            else:
                answer = self.confirm(step)
                ok = bool(await answer) if inspect.isawaitable(answer) else bool(answer)
            if not ok:
                res.status, res.explanation = StepStatus.DECLINED, "not run: the admin declined"
                self.audit.record(step.host, step.command, outcome="declined", detail="not confirmed")
                report.stopped = f"step {i + 1} declined"
                return False
            if self._cancel.is_set():
                report.stopped = f"cancelled before step {i + 1}"
                return False
        if performer is not None:
            return await self._perform(i, step, performer, report)
        sent = xc.timeout_wrapped(step.timeout, step.command)
        res.ran_command = sent
        await self.progress(i, "running", f"on {step.host}: {step.command}", host=step.host)
        started = time.monotonic()
        try:
            # record=False: the session's own log is the probes'; this command is an action,
            # published below with its audit record, in the same order
            cr = await self.engine.sessions[step.host].run(sent, step.timeout + 5, record=False)
        except asyncio.CancelledError:
            res.status = StepStatus.INTERRUPTED
            res.duration_s = time.monotonic() - started
            res.explanation = "interrupted while it ran: its effect is unknown; re-probe before anything else"
            self.audit.record(step.host, sent, outcome="interrupted", duration_s=res.duration_s)
            report.stopped = f"cancelled during step {i + 1}"
            raise
        res.exit_status, res.stdout, res.stderr, res.duration_s = cr.exit_status, cr.stdout, cr.stderr, cr.duration
        timed_out = cr.timed_out or cr.exit_status in xc.TIMED_OUT_EXIT_CODES
        outcome = "timeout" if timed_out else _AUDIT_OUTCOME.get(cr.outcome, cr.outcome)
        self.audit.record(
            step.host,
            sent,
            outcome=outcome,
            exit_status=cr.exit_status,
            duration_s=max(0.0, cr.duration),
            detail=self._detail(step, cr.stdout) or _first_line(cr.stderr) or cr.error or _first_line(cr.stdout)
            or None,
        )
        self._published(cr)
        try:
            if timed_out:
                res.status = StepStatus.TIMEOUT
                res.explanation = (
                    f"no answer from {step.host} in {step.timeout:g} s: the command may or may not have taken effect."
                )
                await self._verify(i, step, cr, report, settle=self.fuse + 2 * self.engine.settings.command_timeout)
                report.stopped = f"step {i + 1} gave no answer"
                return False
            if not cr.ok:
                res.status = StepStatus.FAILED
                res.error_code, res.explanation = self._explain(step, cr)
                report.stopped = f"step {i + 1} failed: {res.explanation}"
                await self.progress(i, "failed", res.explanation, host=step.host)
                return False
            res.status = StepStatus.UNVERIFIED  # ran; stays so if the check is cancelled or never sees the effect
            ok = await self._verify(i, step, cr, report)
        except _Stop:
            res.verification = (res.verification + "; " if res.verification else "") + "verification cancelled"
            report.stopped = f"cancelled while checking step {i + 1}"
            return False
        except asyncio.CancelledError:
            res.verification = (res.verification + "; " if res.verification else "") + "verification interrupted"
            report.stopped = f"cancelled while checking step {i + 1}"
            raise
        res.status = StepStatus.OK if ok else StepStatus.UNVERIFIED
        if not ok:
            report.stopped = f"step {i + 1}'s effect was not confirmed: {res.verification}"
            await self.progress(i, "failed", res.verification, host=step.host)
            return False
        await self.progress(i, "done", res.verification, host=step.host)
        return True

    def _published(self, cr: CommandResult) -> None:
        if self.on_command is None:
            return
        try:
            self.on_command(cr)
        except Exception:  # a broken activity log must not stop a recovery half-way
            pass

    async def _perform(self, i: int, step: Step, performer: Performer, report: RunReport) -> bool:
        res = report.results[i]
        await self.progress(i, "running", f"on {step.host}: {step.command}", host=step.host)
        started = time.monotonic()
        try:
            done = await performer(step)
        except asyncio.CancelledError:
            res.status = StepStatus.INTERRUPTED
            res.duration_s = time.monotonic() - started
            res.explanation = "interrupted while it ran: its effect is unknown; read the host before anything else"
            self.audit.record(step.host, step.command, outcome="interrupted", duration_s=res.duration_s)
            report.stopped = f"cancelled during step {i + 1}"
            raise
        cr = done.result
        self._published(cr)  # the activity log's actions view, like every other step
        res.ran_command = cr.command
        res.exit_status, res.stdout, res.stderr, res.duration_s = cr.exit_status, cr.stdout, cr.stderr, cr.duration
        res.verified, res.verification = done.verified, done.verification
        timed_out = cr.timed_out or cr.exit_status in xc.TIMED_OUT_EXIT_CODES
        if timed_out:
            res.status = StepStatus.TIMEOUT
            res.explanation = done.explanation or f"no answer from {step.host} in time: the effect is unknown."
        elif not cr.ok:
            res.status = StepStatus.FAILED
            res.error_code = parse_xe_error(cr.stderr).code if cr.stderr else None
            res.explanation = done.explanation or _first_line(cr.stderr) or cr.error or f"exit {cr.exit_status}"
        elif done.verified is False:
            res.status = StepStatus.FAILED
            res.explanation = f"the command returned, but its effect is not there: {done.verification}"
        else:
            res.status = StepStatus.OK
        outcome = {StepStatus.OK: "ok", StepStatus.TIMEOUT: "timeout"}.get(res.status, "error")
        self.audit.record(step.host, cr.command or step.command, outcome=outcome, exit_status=cr.exit_status,
                          duration_s=max(0.0, cr.duration),
                          detail=(res.explanation if res.status is not StepStatus.OK else done.verification) or None)
        if res.status is not StepStatus.OK:
            report.stopped = f"step {i + 1} failed: {res.explanation}"
            await self.progress(i, "failed", res.explanation, host=step.host)
            return False
        await self.progress(i, "done", done.verification or "done", host=step.host)
        return True

    # ------------------------------------------------------------------ explanations
    def _explain(self, step: Step, cr: CommandResult) -> tuple[str | None, str]:
        if cr.error and cr.exit_status is None:
            return None, (
                f"{step.host}: {cr.error}: the command may or may not have run; re-probe before anything else."
            )
        err = parse_xe_error(cr.stderr)
        kind = KINDS.get(step.action)
        own = kind.explain(step, cr, self.engine.facts) if kind is not None and kind.explain is not None else None
        if own is not None:  # the feature that registered the kind knows its errors better
            return err.code, own
        who = host_named_in_error(cr.stderr, self.engine.facts)
        text = err.plain or cr.stderr.strip() or f"exit {cr.exit_status}"
        if err.code == "HA_IS_ENABLED":
            text = "HA is enabled on the pool (HA_IS_ENABLED): the command is refused and nothing changed"
        elif err.code == "LOST_CONNECTION":
            text = "the xe client lost its connection (an interactive prompt over non-interactive SSH?)"
        return err.code, f"{step.action} on {step.host} failed" + (f" ({err.code})" if err.code else "") + f": {text}" + (
            f" — host named: {who}" if who else ""
        )

    def _detail(self, step: Step, stdout: str) -> str:
        kind = KINDS.get(step.action)
        return kind.detail(step, stdout) if kind is not None and kind.detail is not None else ""

    # ------------------------------------------------------------------ verification
    async def wait_fuse(self, i: int, step: Step, seconds: float, what: str) -> None:
        end = time.monotonic() + seconds
        tick = min(0.5, max(0.05, seconds / 10))
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            await self.progress(
                i, "waiting", f"{what}: {left:.1f} s left", host=step.host, remaining_s=round(left, 2), fuse_s=seconds
            )
            await self._sleep(min(tick, left))
        await self.progress(i, "waiting", f"{what}: now", host=step.host, remaining_s=0.0, fuse_s=seconds)

    async def _verify(
        self, i: int, step: Step, cr: CommandResult, report: RunReport, settle: float | None = None
    ) -> bool:
        """Read the step's effect back, as the feature that registered its kind says (`kinds.StepKind.verify`)."""
        res = report.results[i]
        deadline = time.monotonic() + (settle if settle is not None else self.settle_timeout)
        kind = KINDS.get(step.action)
        if kind is None or kind.verify is None:
            res.verified, res.verification = None, "no automatic check for this step"
            return True
        ok, res.verification = await kind.verify(self, i, step, cr, report, deadline)
        res.verified = ok
        return ok is not False

    async def holds_master(self, i: int, host: str, deadline: float) -> tuple[bool, str]:
        last = "not probed yet"
        while True:
            await self.progress(i, "verifying", f"reading {host}'s pool.conf and asking its toolstack", host=host)
            f = await self.engine.probe_host(host)
            served = f.pool_list is QueryState.ANSWERED and (
                f.pool_master_uuid is None or f.uuid is None or f.pool_master_uuid == f.uuid
            )
            if f.role is Role.MASTER and (served or f.xapi is XapiView.MASTER):
                return True, f"{host}: pool.conf says master and its toolstack answers as master"
            conf = f.pool_conf_raw if f.pool_conf_raw is not None else ("unreadable" if f.reachable else ssh_cause(f))
            last = f"{host}: pool.conf {conf!r}, xe pool-list {f.pool_list}" + (
                f" ({f.pool_list_error})" if f.pool_list_error else ""
            )
            if time.monotonic() >= deadline:
                return False, f"not master before the deadline: {last}"
            await self._sleep(self.poll_interval)

    async def toolstack_answers(self, i: int, host: str, deadline: float) -> tuple[bool, str]:
        while True:
            f = await self.engine.probe_host(host)
            if toolstack_answers_locally(f) and f.pool_list is not QueryState.NO_ANSWER:
                return True, f"{host}'s toolstack answers"
            if time.monotonic() >= deadline:
                return False, f"{host}'s toolstack still gives no answer"
            await self._sleep(self.poll_interval)

    async def follows(self, i: int, step: Step, deadline: float) -> tuple[bool, str]:
        new = step.new_master
        host = step.host
        followed = False
        text = ""
        while True:
            await self.progress(i, "verifying", f"checking that {host} follows {new}", host=host)
            await self.engine.probe_host(host)
            f = self.engine.facts[host]
            d = self.engine.diagnose()
            hv = d.hosts.get(host)
            followed = f.role is Role.SLAVE and (
                (new is not None and hv is not None and hv.follows == new)
                or (step.master_address is not None and f.master_address == step.master_address)
            )
            if followed and f.pool_list is QueryState.ANSWERED:
                return True, f"{host}: pool.conf says {f.pool_conf_raw!r} and its toolstack is served by {new}"
            text = f"{host}: pool.conf {f.pool_conf_raw!r}, xe pool-list {f.pool_list}"
            if followed and f.reaches_master is False:
                return True, text + f" — it points at {new} but cannot reach it on TCP 443: fix the network between them"
            if time.monotonic() >= deadline:
                if followed:
                    return True, text + f" — it points at {new} but gets no answer from it yet (partition?)"
                return False, f"{host} does not follow {new}: {text}"
            await self._sleep(self.poll_interval)

    async def settle(
        self, i: int, new: str, deadline: float, hopeless: set[str] | frozenset[str] = frozenset()
    ) -> tuple[bool, str, list[str]]:
        """Re-probe the pool until every reachable host follows `new` and is served by it.

        Ends early (not verified) when every host still missing is in `hopeless`
        (hosts the command did not reach: waiting will not change them).
        """
        while True:
            await self.progress(i, "verifying", f"re-probing: does every reachable host follow {new}?", host=new)
            d: Diagnosis = await self.engine.probe_once()
            facts = self.engine.facts
            nf = facts.get(new)
            is_master = nf is not None and nf.role is Role.MASTER
            lagging: list[str] = []
            unserved: list[str] = []
            unreachable: list[str] = []
            for name, f in facts.items():
                if name == new:
                    continue
                if not f.reachable:
                    unreachable.append(name)
                    continue
                hv = d.hosts.get(name)
                if hv is None or hv.follows != new:
                    lagging.append(name)
                elif f.pool_list is not QueryState.ANSWERED:
                    unserved.append(name)
            reach = len(facts) - len(unreachable)
            skip = f"; not reachable, not checked: {', '.join(unreachable)}" if unreachable else ""
            if is_master and not lagging and not unserved:
                return True, f"all {reach} reachable hosts follow {new} (pool.conf), {new} holds master{skip}", []
            stuck = is_master and (lagging or unserved) and set(lagging) | set(unserved) <= hopeless
            if stuck or time.monotonic() >= deadline:
                parts = []
                if not is_master:
                    parts.append(f"{new}'s pool.conf does not say master")
                if lagging:
                    parts.append(
                        "not following "
                        + new
                        + ": "
                        + ", ".join(f"{n} (follows {d.hosts[n].follows if n in d.hosts else '?'})" for n in lagging)
                    )
                if unserved:
                    parts.append(f"following {new} but not served by it yet: {', '.join(unserved)}")
                ok = is_master and not lagging
                return ok, "; ".join(parts) + skip, lagging
            await self._sleep(self.poll_interval)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
