"""PlanRunner against a fake engine: confirmation, dry run, refusals, cancellation, audit, progress.

The end-to-end runs through real SSH are in test_actions_e2e.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Callable

import pytest

from helpers.facts import healthy, master, master_gone, slave, split, uuid
from xentui.actions import Plan, PlanRunner, Progress, Step, StepAction, StepStatus
from xentui.actions.recover import plan_promote_and_recover
from xentui.actions.splitbrain import plan_heal_split_brain
from xentui.actions.recover.readback import parse_recovered_uuids
from xentui.xe.records import parse_fuse
from xentui.trail.audit import AuditLog
from xentui.core.config import Settings
from xentui.diagnosis import Diagnosis, diagnose_pool
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts

XE = "/opt/xensource/bin/xe"
Responder = Callable[["FakeEngine", str, str], tuple[int, str, str]]


class FakeSession:
    def __init__(self, engine: FakeEngine, name: str) -> None:
        self.engine, self.name = engine, name

    async def run(self, command: str, timeout: float, stdin: str | None = None, record: bool = True) -> CommandResult:
        if "/run/xentui" in command:  # the pool's lease (tests/test_lease*.py drive it against the simulator)
            return CommandResult(self.name, command, 0, "free\n" if command.startswith("if ") else "", "", time.time(), 0.0)
        self.engine.sent.append((self.name, command))
        code, out, err = self.engine.responder(self.engine, self.name, command)
        if self.engine.delay:
            await asyncio.sleep(self.engine.delay)
        return CommandResult(self.name, command, code, out, err, time.time(), 0.01)


class FakeEngine:
    """Just what PlanRunner uses of PoolEngine."""

    def __init__(self, facts: list[HostFacts], responder: Responder, delay: float = 0.0) -> None:
        self.settings = Settings(toolstack_fuse=0.05, command_timeout=1.0)
        self.facts = {f.name: f for f in facts}
        self.sessions = {n: FakeSession(self, n) for n in self.facts}
        self.responder = responder
        self.sent: list[tuple[str, str]] = []
        self.delay = delay

    def diagnose(self) -> Diagnosis:
        return diagnose_pool(list(self.facts.values()), "fake")

    async def probe_once(self) -> Diagnosis:
        return self.diagnose()

    async def probe_host(self, name: str) -> HostFacts:
        return self.facts[name]


def promote_works(engine: FakeEngine, host: str, command: str) -> tuple[int, str, str]:
    """plot2 becomes master on promote; recover-slaves resets every reachable host onto plot2."""
    if "pool-emergency-transition-to-master" in command:
        engine.facts[host] = master(int(host[4:]))
        return 0, "Host agent will restart and transition to master in 0.05 seconds...\n", ""
    if "pool-recover-slaves" in command:
        out = []
        for name, f in list(engine.facts.items()):
            if name != host and f.reachable:
                engine.facts[name] = slave(int(name[4:]), of=int(host[4:]))
                out.append(f.uuid or "")
        return 0, "".join(u + "\n" for u in out), ""
    return 127, "", "unknown\n"


def nothing_happens(engine: FakeEngine, host: str, command: str) -> tuple[int, str, str]:
    return 0, "Host agent will restart and transition to master in 0.05 seconds...\n", ""


def ha_refuses(engine: FakeEngine, host: str, command: str) -> tuple[int, str, str]:
    return 1, "", "The operation could not be performed because HA is enabled on the Pool\n"


def runner(engine: FakeEngine, audit: AuditLog, confirm: object = lambda s: True, **kw: object) -> PlanRunner:
    kw.setdefault("settle_timeout", 0.5)
    kw.setdefault("poll_interval", 0.02)
    return PlanRunner(engine, audit, confirm, **kw)  # type: ignore[arg-type]


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


def promote_plan(engine: FakeEngine) -> Plan:
    return plan_promote_and_recover(engine.facts, engine.diagnose(), candidate="plot2")


async def test_runs_verifies_and_audits(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    events: list[Progress] = []
    asked: list[Step] = []

    async def confirm(step: Step) -> bool:
        asked.append(step)
        return True

    report = await runner(eng, audit, confirm, on_progress=events.append).run(promote_plan(eng))
    assert report.complete, report.text()
    assert report.ran == report.succeeded == [0, 1] and report.not_run == []
    assert [s.command for s in asked] == [f"{XE} pool-emergency-transition-to-master", f"{XE} pool-recover-slaves"]
    # every command bounded on the host, and written to the audit log as sent
    assert [c for _, c in eng.sent] == [
        f"timeout -k 2 60 {XE} pool-emergency-transition-to-master",
        f"timeout -k 2 60 {XE} pool-recover-slaves",
    ]
    recs = audit.read()
    assert [(r.host, r.command, r.outcome) for r in recs] == [("plot2", c, "ok") for _, c in eng.sent]
    # recover-slaves: printed UUIDs against the expected hosts
    rc = report.recover
    assert rc is not None and rc.host == "plot2"
    assert sorted(rc.recovered) == [f"plot{i}" for i in range(3, 9)]
    assert list(rc.not_recovered) == ["plot1"]
    assert "unreachable" in rc.not_recovered["plot1"] and "was master" in rc.not_recovered["plot1"]
    # the fuse was waited out with progress ticks
    waits = [e for e in events if e.phase == "waiting"]
    assert waits and waits[0].fuse_s == pytest.approx(0.05) and waits[-1].remaining_s == 0.0
    assert {e.phase for e in events} >= {"confirm", "running", "waiting", "verifying", "done"}
    assert report.final_verdict == "degraded"


async def test_dry_run_runs_nothing_and_reports_the_commands(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    asked: list[Step] = []
    report = await runner(eng, audit, lambda s: asked.append(s) or True, dry_run=True).run(promote_plan(eng))
    assert eng.sent == [] and asked == []
    assert [r.status for r in report.results] == [StepStatus.DRY_RUN, StepStatus.DRY_RUN]
    assert [r.command for r in report.results] == [f"{XE} pool-emergency-transition-to-master", f"{XE} pool-recover-slaves"]
    assert [r.outcome for r in audit.read()] == ["dry-run", "dry-run"]
    assert report.ran == [] and not report.complete


async def test_declined_stops_before_running(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    report = await runner(eng, audit, lambda s: False).run(promote_plan(eng))
    assert eng.sent == []
    assert [r.status for r in report.results] == [StepStatus.DECLINED, StepStatus.NOT_RUN]
    assert report.stopped == "step 1 declined"
    assert [r.outcome for r in audit.read()] == ["declined"]


async def test_no_confirm_callback_means_no(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    report = await runner(eng, audit, None).run(promote_plan(eng))
    assert eng.sent == [] and report.results[0].status is StepStatus.DECLINED


async def test_blocked_plan_is_not_run(audit: AuditLog) -> None:
    eng = FakeEngine(healthy(), promote_works)
    plan = plan_promote_and_recover(eng.facts, eng.diagnose(), candidate="plot2")
    assert plan.blocked
    report = await runner(eng, audit).run(plan)
    assert eng.sent == [] and report.stopped is not None and "blocked" in report.stopped
    assert all(r.status is StepStatus.NOT_RUN for r in report.results)


async def test_effect_not_seen_stops_the_run(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), nothing_happens)
    report = await runner(eng, audit, settle_timeout=0.2).run(promote_plan(eng))
    assert [r.status for r in report.results] == [StepStatus.UNVERIFIED, StepStatus.NOT_RUN]
    assert report.results[0].verified is False
    assert "not master before the deadline" in report.results[0].verification
    assert len(eng.sent) == 1  # recover-slaves never sent on a host that did not become master
    assert report.ran == [0] and report.succeeded == [] and report.not_run == [1]


async def test_failure_is_explained_and_stops(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), ha_refuses)
    report = await runner(eng, audit).run(promote_plan(eng))
    r = report.results[0]
    assert r.status is StepStatus.FAILED and r.error_code == "HA_IS_ENABLED"
    assert "HA is enabled" in r.explanation
    assert report.results[1].status is StepStatus.NOT_RUN
    assert [x.outcome for x in audit.read()] == ["error"]


async def test_cancel_between_steps(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    holder: list[PlanRunner] = []

    def confirm(step: Step) -> bool:
        if step.action is StepAction.RECOVER_SLAVES:
            holder[0].cancel()
        return True

    r = runner(eng, audit, confirm)
    holder.append(r)
    report = await r.run(promote_plan(eng))
    assert [x.status for x in report.results] == [StepStatus.OK, StepStatus.NOT_RUN]
    assert report.stopped == "cancelled before step 2"
    assert len(eng.sent) == 1


async def test_task_cancelled_during_the_fuse_keeps_the_report(audit: AuditLog) -> None:
    def slow_fuse(engine: FakeEngine, host: str, command: str) -> tuple[int, str, str]:
        return 0, "Host agent will restart and transition to master in 10. seconds...\n", ""

    eng = FakeEngine(master_gone(), slow_fuse)
    r = runner(eng, audit)
    plan = promote_plan(eng)

    async def go() -> None:
        await r.run(plan)

    task = asyncio.create_task(go())
    for _ in range(100):
        await asyncio.sleep(0.01)
        if eng.sent:
            break
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert r.report is not None
    first, second = r.report.results
    assert first.status is StepStatus.UNVERIFIED and "interrupted" in first.verification
    assert second.status is StepStatus.NOT_RUN
    assert r.report.ran == [0]


async def test_minority_recover_refused_at_run_time(audit: AuditLog) -> None:
    eng = FakeEngine(split(minority=2, majority=3), promote_works)
    plan = plan_heal_split_brain(eng.facts, eng.diagnose())
    bad = plan.model_copy(update={"steps": [plan.steps[0].model_copy(update={"host": "plot2"})]})
    report = await runner(eng, audit).run(bad)
    assert eng.sent == []
    r = report.results[0]
    assert r.status is StepStatus.REFUSED and "old master's database" in r.explanation
    assert [x.outcome for x in audit.read()] == ["refused"]


async def test_typed_override_is_audited_by_the_runner_before_it_runs(audit: AuditLog) -> None:
    eng = FakeEngine(split(minority=2, majority=3), promote_works)
    plan = plan_heal_split_brain(eng.facts, eng.diagnose(), target="plot2", override_confirmed_name="plot2")
    assert audit.read() == []  # making the plan writes nothing
    report = await runner(eng, audit).run(plan)
    assert eng.sent and eng.sent[0][0] == "plot2"
    records = audit.read()
    assert [(r.host, r.outcome) for r in records][:2] == [("plot2", "override"), ("plot2", "ok")]
    assert "typed 'plot2'" in (records[0].detail or "") and "pull the pool back" in (records[0].detail or "")
    assert report.results[0].status in (StepStatus.OK, StepStatus.UNVERIFIED)


async def test_tampered_command_refused(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    plan = promote_plan(eng)
    evil = plan.steps[0].model_copy(update={"command": plan.steps[0].command + " ; reboot"})
    report = await runner(eng, audit).run(plan.model_copy(update={"steps": [evil]}))
    assert eng.sent == [] and report.results[0].status is StepStatus.REFUSED


async def test_contingency_offered_when_old_master_not_reset(audit: AuditLog) -> None:
    def recover_misses_plot2(engine: FakeEngine, host: str, command: str) -> tuple[int, str, str]:
        out = []
        for name, f in list(engine.facts.items()):
            if name not in (host, "plot2"):
                engine.facts[name] = slave(int(name[4:]), of=3)
                out.append(f.uuid or "")
        return 0, "".join(u + "\n" for u in out), ""

    eng = FakeEngine(split(minority=2, majority=3), recover_misses_plot2)
    plan = plan_heal_split_brain(eng.facts, eng.diagnose())
    report = await runner(eng, audit).run(plan)
    assert report.recover is not None and list(report.recover.not_recovered) == ["plot2"]
    assert "holds master itself" in report.recover.not_recovered["plot2"]
    assert [s.host for s in report.offers] == ["plot2"]
    assert report.offers[0].command == f"{XE} pool-emergency-reset-master master-address=10.0.0.13"
    follow = report.follow_up()
    assert follow is not None and follow.steps == report.offers and not follow.blocked
    assert report.results[0].status is StepStatus.UNVERIFIED  # plot2 still holds master: not healed


def test_parse_helpers() -> None:
    assert parse_fuse("Host agent will restart and transition to master in 10. seconds...") == 10.0
    assert parse_fuse("Host agent will restart and become slave of 10.0.0.1 in 0.3 seconds...") == 0.3
    assert parse_fuse("Host agent is already master. Use '--force' to execute the operation anyway.") is None
    u = uuid(3)
    assert parse_recovered_uuids(f"{u}\n{u.upper()}\n\nwarning: x\n") == ([u], ["warning: x"])


async def test_force_is_never_sent_without_the_consoles_confirmation(audit: AuditLog) -> None:
    from xentui.actions import forget_step

    eng = FakeEngine(healthy(), promote_works)
    gone = "0b1c2d3e-0000-4000-8000-00000000beef"
    step = forget_step(gone, eng.facts, "plot1", confirmed=True).model_copy(update={"dangerous": False})
    plan = Plan(kind="forget", title="forget", verdict="healthy", steps=[step])
    report = await runner(eng, audit, None).run(plan)
    assert eng.sent == [] and report.results[0].status is StepStatus.DECLINED
    asked: list[Step] = []
    report = await runner(eng, audit, lambda s: asked.append(s) or False).run(plan)
    assert eng.sent == [] and [s.command for s in asked] == [f"{XE} host-forget uuid={gone} --force"]


async def test_read_only_refuses_every_step_before_anything_is_sent(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    eng.settings = eng.settings.model_copy(update={"read_only": True})
    asked: list[Step] = []
    report = await runner(eng, audit, lambda s: asked.append(s) or True).run(promote_plan(eng))
    assert report.refused == "read-only" and report.ran == [] and asked == [] and eng.sent == []
    assert "read-only" in (report.stopped or "")
    assert [r.outcome for r in audit.read()] == ["refused", "refused"]


async def test_a_stale_recheck_refuses_after_the_lease_is_held(audit: AuditLog) -> None:
    eng = FakeEngine(master_gone(), promote_works)
    seen: list[str] = []
    report = await runner(eng, audit, recheck=lambda d: seen.append(str(d.verdict)) or "verdict: was x, now y").run(
        promote_plan(eng))
    assert seen == ["master-lost"] and report.refused == "stale" and eng.sent == []
    assert report.stopped == "verdict: was x, now y"
