"""The field story, end to end: engine + PlanRunner over real SSH to the simulated pool (no UI).

master-shutdown -> promote plot2 -> recover -> every reachable host follows plot2; pull plot2's
cable -> promote plot3 -> recover; plug plot2 back -> split brain -> recover-slaves on plot2
refused, on plot3 accepted -> plot2 follows plot3; plot1 back; designate plot5 while plot7 is
down -> refused before trying, plot7 named; plot7 back -> designate -> every host follows plot5.

Fixture fuse 0.3 s, short engine timeouts; every wait is a poll with a deadline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable


from helpers.sim import run_on
from helpers.engines import engine_for, probe_until
from xentui.actions import Plan, PlanRunner, Step, StepStatus
from xentui.actions.designate import plan_designate_master
from xentui.actions.recover import plan_promote_and_recover
from xentui.actions.splitbrain import check_recover_slaves_target, plan_heal_split_brain
from xentui.trail.audit import AuditLog
from xentui.diagnosis import Diagnosis, Verdict
from xentui.core.model import QueryState
from xensim.server import Simulator

XE = "/opt/xensource/bin/xe"


HOSTS = [f"plot{i}" for i in range(1, 9)]
make_engine = engine_for


def addr(sim: Simulator, host: str) -> str:
    return sim.pool.host(host).address


async def pool_conf(sim: Simulator, host: str) -> str:
    r = await run_on(sim, host, "cat /etc/xensource/pool.conf")
    assert r.exit_status == 0, r.stderr
    return str(r.stdout).strip()


async def until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def xe_verbs_received(sim: Simulator, host: str, verb: str) -> int:
    return sum(1 for h, argv in sim.received if h == host and len(argv) > 1 and argv[0].endswith("xe") and argv[1] == verb)


def follows_all(d: Diagnosis, master: str, hosts: list[str]) -> bool:
    return all(d.hosts[h].follows == master for h in hosts)


async def test_field_story(sim_factory: Any, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-shutdown")
    eng = make_engine(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    confirmed: list[tuple[str, str]] = []

    def confirm(step: Step) -> bool:
        confirmed.append((step.host, step.command))
        return True

    def runner() -> PlanRunner:
        return PlanRunner(eng, audit, confirm, fuse=0.3, settle_timeout=10.0, poll_interval=0.2)

    try:
        # ---------------------------------------------------------------- 1. the master was shut down
        d = await eng.probe_once()
        assert d.verdict is Verdict.MASTER_LOST, d.summary
        plan = plan_promote_and_recover(eng.facts, d, candidate="plot2")
        assert not plan.blocked, plan.blocked_reason
        # a fresh jump box never saw plot1: its UUID is unknown, so recover-slaves' output cannot be checked for it
        assert plan.steps[1].expected == {h: sim.pool.host(h).uuid for h in HOSTS if h not in ("plot1", "plot2")}
        assert plan.unknown_uuid == ["plot1"]
        report = await runner().run(plan)
        assert report.complete, report.text()
        assert confirmed == [("plot2", f"{XE} pool-emergency-transition-to-master"), ("plot2", f"{XE} pool-recover-slaves")]
        rc = report.recover
        assert rc is not None
        assert sorted(rc.recovered) == [f"plot{i}" for i in range(3, 9)]
        assert rc.not_recovered == {} and rc.unexpected == []
        assert list(rc.unchecked) == ["plot1"] and "unreachable" in rc.unchecked["plot1"]
        # every one of the 7 reachable hosts follows plot2 (read on the hosts themselves)
        assert await pool_conf(sim, "plot2") == "master"
        for h in HOSTS[2:]:
            assert await pool_conf(sim, h) == f"slave:{addr(sim, 'plot2')}", h
        assert "plot1" in report.results[1].verification and "all 7 reachable hosts follow plot2" in report.results[1].verification

        # ---------------------------------------------------------------- 2. plot2 loses its cable
        await sim.fault("cable-pull", "plot2")
        # Let the engine's SSH keepalive notice the stalled connection, so the probe sees plot2 as
        # unreachable and keeps what it knew (see the report: a stalled session otherwise wipes it).
        s2 = eng.sessions["plot2"]
        await until(lambda: s2.conn is None or s2.conn.is_closed(), "keepalive drops plot2's session")
        d = await probe_until(
            eng,
            lambda d: d.verdict is Verdict.MASTER_LOST and d.majority_master is not None and d.majority_master.name == "plot2",
            "master-lost, plot2",
        )
        plan = plan_promote_and_recover(eng.facts, d, candidate="plot3")
        assert not plan.blocked, plan.blocked_reason
        assert "plot2" in plan.steps[1].expected
        report = await runner().run(plan)
        assert report.complete, report.text()
        rc = report.recover
        assert rc is not None
        assert sorted(rc.recovered) == [f"plot{i}" for i in range(4, 9)]
        assert list(rc.not_recovered) == ["plot2"] and list(rc.unchecked) == ["plot1"]
        assert "was master when last seen at" in rc.not_recovered["plot2"] and "unreachable" in rc.not_recovered["plot2"]
        assert await pool_conf(sim, "plot3") == "master"
        for h in HOSTS[3:]:
            assert await pool_conf(sim, h) == f"slave:{addr(sim, 'plot3')}", h
        assert sim.pool.host("plot2").pool_conf == "master"  # cut off: still thinks it is master

        # ---------------------------------------------------------------- 3. plot2's cable is back: split brain
        await sim.fault("cable-restore", "plot2")
        d = await probe_until(eng, lambda d: d.verdict is Verdict.SPLIT_BRAIN, "split brain")
        assert sorted(d.masters) == ["plot2", "plot3"]
        assert d.majority_master is not None and d.majority_master.name == "plot3"
        refused = check_recover_slaves_target("plot2", d)
        assert not refused.ok and "would pull the pool back to the old master's database" in refused.reason
        assert check_recover_slaves_target("plot3", d).ok
        plan = plan_heal_split_brain(eng.facts, d)
        assert not plan.blocked, plan.blocked_reason
        assert [(s.host, s.command) for s in plan.steps] == [("plot3", f"{XE} pool-recover-slaves")]
        # the runner refuses recover-slaves on plot2 too, and nothing reaches plot2
        recovers_on_plot2 = xe_verbs_received(sim, "plot2", "pool-recover-slaves")  # it ran there in part 1
        wrong = Plan(kind="test", title="wrong", verdict=str(d.verdict), steps=[plan.steps[0].model_copy(update={"host": "plot2"})])
        bad = await runner().run(wrong)
        assert bad.results[0].status is StepStatus.REFUSED
        assert xe_verbs_received(sim, "plot2", "pool-recover-slaves") == recovers_on_plot2
        report = await runner().run(plan)
        assert report.complete, report.text()
        assert report.recover is not None and "plot2" in report.recover.recovered
        assert report.offers == []
        assert await pool_conf(sim, "plot2") == f"slave:{addr(sim, 'plot3')}"
        d = eng.diagnose()
        assert d.hosts["plot2"].follows == "plot3"

        # ---------------------------------------------------------------- 4. planned maintenance: move the master to plot5
        await sim.fault("boot", "plot1")  # its toolstack finds plot3 is master and demotes itself
        d = await probe_until(eng, lambda d: d.verdict is Verdict.HEALTHY, "plot1 back, healthy")
        assert d.master is not None and d.master.name == "plot3"
        await sim.fault("shutdown", "plot7")
        d = await probe_until(eng, lambda d: not eng.facts["plot7"].reachable, "plot7 seen down")
        plan = plan_designate_master(eng.facts, d, "plot5")
        assert plan.blocked
        assert "plot7" in (plan.blocked_reason or "") and "HOST_OFFLINE" in (plan.blocked_reason or "")
        assert plan.not_live == ["plot7"]
        n_before = len(confirmed)
        report = await runner().run(plan)
        assert report.ran == [] and "blocked" in (report.stopped or "")
        assert len(confirmed) == n_before
        assert xe_verbs_received(sim, "plot3", "pool-designate-new-master") == 0

        await sim.fault("boot", "plot7")
        # healthy as soon as plot7 follows plot3 again; its toolstack starts a moment later
        d = await probe_until(
            eng, lambda d: d.verdict is Verdict.HEALTHY and eng.facts["plot7"].pool_list is QueryState.ANSWERED,
            "plot7 back, healthy, its toolstack answering",
        )
        plan = plan_designate_master(eng.facts, d, "plot5")
        assert not plan.blocked, plan.blocked_reason
        assert plan.target_uuid == sim.pool.host("plot5").uuid
        assert plan.steps[0].host == "plot3"
        report = await runner().run(plan)
        assert report.complete, report.text()
        assert await pool_conf(sim, "plot5") == "master"
        for h in HOSTS:
            if h != "plot5":
                assert await pool_conf(sim, h) == f"slave:{addr(sim, 'plot5')}", h
        d = eng.diagnose()
        assert d.verdict is Verdict.HEALTHY and follows_all(d, "plot5", HOSTS)
    finally:
        await eng.stop()

    # every command of the story is in the audit log, in order, with how it ended
    log = [(r.host, r.command.split(f"{XE} ")[-1], r.outcome) for r in audit.read()]
    assert log == [
        ("plot2", "pool-emergency-transition-to-master", "ok"),
        ("plot2", "pool-recover-slaves", "ok"),
        ("plot3", "pool-emergency-transition-to-master", "ok"),
        ("plot3", "pool-recover-slaves", "ok"),
        ("plot2", "pool-recover-slaves", "refused"),
        ("plot3", "pool-recover-slaves", "ok"),
        # the blocked handover (plot7 down): refused by the runner, written down, nothing sent
        ("plot3", f"pool-designate-new-master host-uuid={sim.pool.host('plot5').uuid}", "refused"),
        ("plot3", f"pool-designate-new-master host-uuid={sim.pool.host('plot5').uuid}", "ok"),
    ]


async def test_designate_host_offline_explained_with_the_host_named(sim_factory: Any, tmp_path: Path) -> None:
    """The plan was made while every host answered; plot7 went down after the runner's last probe
    (the one it makes once the lease holds), while the admin confirmed: xapi's HOST_OFFLINE, explained."""
    sim = await sim_factory()
    eng = make_engine(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def confirm_while_plot7_goes_down(step: Step) -> bool:
        await sim.fault("shutdown", "plot7")
        return True

    try:
        d = await eng.probe_once()
        plan = plan_designate_master(eng.facts, d, "plot5")
        assert not plan.blocked, plan.blocked_reason
        report = await PlanRunner(eng, audit, confirm_while_plot7_goes_down, fuse=0.3, settle_timeout=5.0).run(plan)
    finally:
        await eng.stop()
    r = report.results[0]
    assert r.status is StepStatus.FAILED and r.error_code == "HOST_OFFLINE"
    assert "plot7 could not be contacted (HOST_OFFLINE)" in r.explanation
    assert "nothing changed" in r.explanation
    assert sim.pool.host("plot1").pool_conf == "master"
    assert sim.pool.host("plot5").pool_conf == f"slave:{addr(sim, 'plot1')}"
    assert [x.outcome for x in audit.read()] == ["error"]


async def test_dry_run_on_the_simulator_sends_nothing(sim_factory: Any, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="split-brain")
    eng = make_engine(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        d = await eng.probe_once()
        plan = plan_heal_split_brain(eng.facts, d)
        sent_before = len(sim.received)
        report = await PlanRunner(eng, audit, lambda s: True, dry_run=True).run(plan)
    finally:
        await eng.stop()
    assert [r.status for r in report.results] == [StepStatus.DRY_RUN]
    assert [(r.host, r.command) for r in report.results] == [("plot2", f"{XE} pool-recover-slaves")]
    assert all(argv[:2] != [XE, "pool-recover-slaves"] for _, argv in sim.received[sent_before:])
    assert sim.pool.host("plot1").pool_conf == "master"
    assert [x.outcome for x in audit.read()] == ["dry-run"]


async def test_split_brain_old_master_still_partitioned_gets_reset_master(sim_factory: Any, tmp_path: Path) -> None:
    """recover-slaves on plot2 cannot reach plot1 (partitioned from plot2, reachable from the jump box):
    the report offers reset-master on plot1 itself, pointed at plot2's address."""
    sim = await sim_factory(scenario="split-brain")
    sim.pool.partitions.add(frozenset(("plot1", "plot2")))  # the simulator's own model of a partition
    sim.pool.notify()
    eng = make_engine(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")

    def runner() -> PlanRunner:
        return PlanRunner(eng, audit, lambda s: True, fuse=0.3, settle_timeout=8.0, poll_interval=0.2)

    try:
        d = await probe_until(eng, lambda d: d.verdict is Verdict.SPLIT_BRAIN, "split brain")
        plan = plan_heal_split_brain(eng.facts, d)
        assert [s.host for s in plan.steps] == ["plot2"]
        report = await runner().run(plan)
        assert report.recover is not None and list(report.recover.not_recovered) == ["plot1"]
        assert "partitioned" in report.recover.not_recovered["plot1"]
        assert report.results[0].status is StepStatus.UNVERIFIED and report.not_following == ["plot1"]
        (offer,) = report.offers
        assert (offer.host, offer.command) == ("plot1", f"{XE} pool-emergency-reset-master master-address={addr(sim, 'plot2')}")
        follow = report.follow_up()
        assert follow is not None
        again = await runner().run(follow)
        assert again.complete, again.text()
        assert "cannot reach it" in again.results[0].verification  # still partitioned: said so, not hidden
        assert await pool_conf(sim, "plot1") == f"slave:{addr(sim, 'plot2')}"
        # the partition heals: plot1's toolstack (emergency mode, retrying) joins plot2
        sim.pool.partitions.clear()
        sim.pool.notify()
        d = await probe_until(eng, lambda d: d.verdict is Verdict.HEALTHY, "healed", timeout=10.0)
        assert d.master is not None and d.master.name == "plot2"
    finally:
        await eng.stop()
    assert [(r.host, r.outcome) for r in audit.read()] == [("plot2", "ok"), ("plot1", "ok")]
