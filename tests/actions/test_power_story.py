"""Issue 28's story through real SSH and real HTTP on the simulator: fence, promote, recover, the
stranded VMs started on the survivors, the cable back, power on — and no VM ever runs twice.

The same story without a fence: the reset is refused with the reason, nothing runs twice.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any


from helpers.engines import engine_for
from helpers.engines import probe_until as probe_pool
from helpers.settings import ENGINE_FAST
from xentui.actions import PlanRunner, StepAction, StepStatus, propose_plan
from xentui.actions.power import lost_hosts, plan_power, plan_stranded_vms, read_stranded, serving_master
from xentui.core.power import PowerState
from xentui.diagnosis import Verdict
from xentui.engine.pool import PoolEngine
from xentui.trail.audit import AuditLog
from xensim.scenarios import host_uuid, stable_uuid

probe_until = functools.partial(probe_pool, timeout=15.0)  # this story's bound for a whole-pool wait

VMS = (("web1", "plot1", ""), ("db1", "plot1", ""), ("mail1", "plot1", ""), ("app2", "plot2", ""))
STRANDED = ("web1", "db1", "mail1")
POWER_FAST: dict[str, Any] = dict(ENGINE_FAST, toolstack_fuse=0.3, power_settle_timeout=3.0, power_poll_interval=0.1,
                                  power_on_timeout=20.0, bmc_timeout=2.0)


def runner(engine: PoolEngine, tmp_path: Path, confirmed: list[Any]) -> PlanRunner:
    def confirm(step: Any) -> bool:
        confirmed.append((step.host, step.command, step.typed))
        return True

    return PlanRunner(engine, AuditLog(tmp_path / "audit.jsonl"), confirm, fuse=0.3, settle_timeout=15.0, poll_interval=0.2)


async def watched_then_cut(sim: Any, engine: PoolEngine) -> None:
    """xentui watched the healthy pool (it knows each host's addresses), then plot1's cable is pulled."""
    await probe_until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy")
    await sim.fault("cable-pull", "plot1")


async def promote_and_recover(engine: PoolEngine, run: PlanRunner, fence: bool) -> Any:
    d = await probe_until(engine, lambda d: d.verdict is Verdict.MASTER_LOST, "master lost")
    plan = propose_plan(engine.facts, d)
    actions = [s.action for s in plan.steps]
    if fence:  # the lost master's BMC answers: the fence comes first, recommended and explained
        assert actions == [StepAction.FENCE, StepAction.PROMOTE, StepAction.RECOVER_SLAVES], plan.notes
        assert plan.steps[0].host == "plot1" and "ForceOff" in plan.steps[0].command
        assert "recommended" in plan.steps[0].why
    else:
        assert actions == [StepAction.PROMOTE, StepAction.RECOVER_SLAVES]
        assert any("no BMC" in n for n in plan.notes)
    report = await run.run(plan)
    assert report.complete, report.text()
    return report


async def stranded_plan(engine: PoolEngine) -> Any:
    d = await probe_until(engine, lambda d: serving_master(engine.facts, d) == "plot2"
                          and d.hosts["plot3"].follows == "plot2", "plot3 follows plot2")
    assert lost_hosts(engine.facts, d) == ["plot1"]
    vms, err = await read_stranded(engine, "plot2", "plot1")
    assert err is None
    assert sorted(v.name for v in vms) == sorted(STRANDED)
    return plan_stranded_vms(engine.facts, d, "plot2", "plot1", vms)


async def test_story_fenced_promoted_vms_started_on_survivors_and_the_old_master_back_as_slave(sim_factory, tmp_path):
    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS)
    ledger = sim.pool.ledger
    engine = engine_for(sim, **POWER_FAST)
    confirmed: list[Any] = []
    run = runner(engine, tmp_path, confirmed)
    try:
        await watched_then_cut(sim, engine)
        # 1. the cable is pulled: plot1 keeps running its 3 VMs
        assert all(ledger.where(stable_uuid("vm", n)) == {"plot1"} for n in STRANDED)
        # 2 + 3. fenced through its BMC, then promote and recover
        report = await promote_and_recover(engine, run, fence=True)
        assert "fenced: the BMC reads PowerState Off" in report.results[0].verification
        assert not sim.pool.host("plot1").powered
        assert all(ledger.where(stable_uuid("vm", n)) == set() for n in STRANDED)  # off: its VMs stopped
        assert engine.facts["plot1"].power is not None and engine.facts["plot1"].power.off
        assert confirmed[0][0] == "plot1" and "ResetType=ForceOff" in confirmed[0][1]  # names host + BMC action
        # 4. the 3 stranded VMs: reset, started on the survivors, read back
        plan = await stranded_plan(engine)
        assert not plan.blocked, plan.blocked_reason
        assert [s.action for s in plan.steps] == [StepAction.VM_RESET_POWERSTATE, StepAction.VM_START] * 3
        assert plan.steps[0].command.endswith("--force")
        report = await run.run(plan)
        assert report.complete, report.text()
        for n in STRANDED:
            where = ledger.where(stable_uuid("vm", n))
            assert len(where) == 1 and where <= {"plot2", "plot3"}, (n, where)
            rec = sim.pool.host("plot2").db.vms[stable_uuid("vm", n)]
            assert rec.power_state == "running" and rec.resident_on in (host_uuid("plot2"), host_uuid("plot3"))
        assert all("running on plot" in r.verification for r in report.results[1::2])
        # 5. the cable comes back: plot1 is off, so no split brain and no VM ran twice
        await sim.fault("cable-restore", "plot1")
        await asyncio.sleep(0.3)
        truth = sim.pool.truth.states[-1]
        assert truth.masters() == ["plot2"]
        assert ledger.ran_twice() == []
        # 6. power on through the BMC: plot1 comes back and joins as a slave
        report = await run.run(plan_power("plot1", StepAction.POWER_ON, engine.facts))
        assert report.complete, report.text()
        assert "back as a slave of" in report.results[0].verification
        assert sim.pool.host("plot1").running_role == "slave"
        assert sim.pool.host("plot1").running_master_address == sim.pool.host("plot2").address
        assert [t for t in sim.pool.truth.states if len(t.masters()) > 1] == []
        assert ledger.ran_twice() == []
    finally:
        await engine.stop()


async def test_story_without_fencing_the_reset_is_refused_and_nothing_runs_twice(sim_factory, tmp_path):
    sim = await sim_factory("healthy", hosts=3, vms=VMS)  # no BMC anywhere
    ledger = sim.pool.ledger
    engine = engine_for(sim, **POWER_FAST)
    run = runner(engine, tmp_path, [])
    try:
        await watched_then_cut(sim, engine)
        await promote_and_recover(engine, run, fence=False)
        plan = await stranded_plan(engine)
        assert plan.blocked
        assert "plot1 fenced or attested off" in (plan.blocked_reason or "")
        assert "neither fenced nor attested" in (plan.blocked_reason or "")
        assert "second copy" in (plan.blocked_reason or "")
        report = await run.run(plan)
        assert report.refused == "blocked" and not report.ran
        # a stale or hand-edited plan does not get round it: the reset itself re-checks the gate
        unblocked = plan.model_copy(update={"preconditions": []})
        report = await run.run(unblocked)
        assert report.results[0].status is StepStatus.FAILED
        assert "neither fenced nor attested" in report.results[0].explanation
        assert "nothing was changed" in report.results[0].explanation
        for n in STRANDED:  # still running behind the pulled cable, and only there
            assert ledger.where(stable_uuid("vm", n)) == {"plot1"}
            assert sim.pool.host("plot2").db.vms[stable_uuid("vm", n)].power_state == "running"
        assert ledger.ran_twice() == []
        audit = AuditLog(tmp_path / "audit.jsonl").read()
        assert any(r.outcome == "refused" and "neither fenced nor attested" in (r.detail or "") for r in audit)
    finally:
        await engine.stop()


async def test_attested_off_unblocks_the_reset_and_is_audited_as_an_attestation(sim_factory, tmp_path):
    sim = await sim_factory("healthy", hosts=3, vms=VMS)
    engine = engine_for(sim, **POWER_FAST)
    confirmed: list[Any] = []
    run = runner(engine, tmp_path, confirmed)
    try:
        await watched_then_cut(sim, engine)
        await sim.fault("shutdown", "plot1")  # someone pulled its power cord: there is no BMC to say so
        await promote_and_recover(engine, run, fence=False)
        from xentui.actions.power import plan_attest_off

        report = await run.run(plan_attest_off("plot1", engine.facts))
        assert report.complete, report.text()
        assert confirmed[-1] == ("plot1", report.results[0].command, True)  # typed, not a blanket yes
        audit = AuditLog(tmp_path / "audit.jsonl").read()
        att = [r for r in audit if r.outcome == "attestation"]
        assert len(att) == 1 and "not an observation" in (att[0].detail or "")
        plan = await stranded_plan(engine)
        assert not plan.blocked and "attested off" in plan.gate
        report = await run.run(plan)
        assert report.complete, report.text()
        assert sim.pool.ledger.ran_twice() == []
    finally:
        await engine.stop()


async def test_bmc_still_on_after_forceoff_refuses_the_fence_and_the_reset(sim_factory, tmp_path):
    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS)
    await sim.fault("bmc-stuck-on", "plot1")
    engine = engine_for(sim, **POWER_FAST)
    run = runner(engine, tmp_path, [])
    try:
        await watched_then_cut(sim, engine)
        d = await probe_until(engine, lambda d: d.verdict is Verdict.MASTER_LOST, "master lost")
        plan = propose_plan(engine.facts, d)
        report = await run.run(plan)
        r = report.results[0]
        assert r.status is StepStatus.FAILED
        assert "the BMC still says On" in r.explanation and "reset stays refused" in r.explanation
        assert report.results[1].status is StepStatus.NOT_RUN  # nothing promoted on a host that may still run
        assert sim.pool.host("plot1").powered and engine.facts["plot1"].power.state is PowerState.ON
        assert sim.pool.ledger.ran_twice() == []
    finally:
        await engine.stop()


async def test_a_vm_no_longer_where_the_list_said_is_refused_and_on_places_a_vm(sim_factory, tmp_path):
    from helpers.sim import run_on

    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS)
    engine = engine_for(sim, **POWER_FAST)
    run = runner(engine, tmp_path, [])
    try:
        await watched_then_cut(sim, engine)
        await promote_and_recover(engine, run, fence=True)
        d = await probe_until(engine, lambda d: serving_master(engine.facts, d) == "plot2", "plot2 serves")
        vms, err = await read_stranded(engine, "plot2", "plot1")
        web1, db1 = stable_uuid("vm", "web1"), stable_uuid("vm", "db1")
        plan = plan_stranded_vms(engine.facts, d, "plot2", "plot1", vms, start_on={db1: host_uuid("plot3")})
        # someone else handled web1 since the list was read: reset and started by hand
        xe = "/opt/xensource/bin/xe"
        await run_on(sim, "plot2", f"{xe} vm-reset-powerstate uuid={web1} --force")
        await run_on(sim, "plot2", f"{xe} vm-start uuid={web1} on={host_uuid('plot2')}")
        steps = [s for s in plan.steps if s.vm_uuid in (web1, db1)]
        report = await run.run(plan.model_copy(update={"steps": steps}))
        first = [r for r, s in zip(report.results, steps) if s.vm_uuid == web1][0]
        assert first.status is StepStatus.FAILED
        assert "no longer where the list said" in first.explanation and "nothing was changed" in first.explanation
        rec = sim.pool.host("plot2").db.vms[web1]
        assert (rec.power_state, rec.resident_on) == ("running", host_uuid("plot2"))  # untouched
        # db1 alone, started where the plan said (on= plot3)
        steps = [s for s in plan.steps if s.vm_uuid == db1]
        assert steps[1].command.endswith(f"on={host_uuid('plot3')}")
        report = await run.run(plan.model_copy(update={"steps": steps}))
        assert report.complete, report.text()
        assert sim.pool.ledger.where(db1) == {"plot3"} and "running on plot3" in report.results[1].verification
        assert sim.pool.ledger.ran_twice() == []
    finally:
        await engine.stop()
