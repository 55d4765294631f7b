"""Issue 27's acceptance stories, end to end: engine + PlanRunner over real SSH to the simulated HA pool.

(a) HA pool, the master's cable pulled: ELECTING with no promote offered anywhere; RECOVERED once the
    simulator's HA elects, with nothing done by the operator; the cable back: the old master has
    rebooted (fenced) and follows the new master — no split brain.
(b) HA wedged: the guided disable runs on each survivor and is read back; then promote, recover,
    and (the old master's cable back) healthy.

HA's clock is shortened (helpers.settings.HA_FAST, T 2 s) and so is xentui's election margin (3 s).
"""

from __future__ import annotations

import functools
from pathlib import Path


from helpers.engines import engine_for
from helpers.engines import probe_until as probe_pool
from helpers.settings import ENGINE_FAST, HA_FAST
from helpers.sim import run_on
from xentui.actions import PlanRunner, Step, StepStatus
from xentui.actions.guards import check_step
from xentui.actions.propose import propose_plan
from xentui.actions.recover import plan_promote_and_recover
from xentui.diagnosis import Action, Diagnosis, Verdict
from xentui.engine.pool import PoolEngine
from xentui.trail.audit import AuditLog
from xensim.server import Simulator

probe_until = functools.partial(probe_pool, timeout=20.0, every=0.2)  # this story's bound for a whole-pool wait

HOSTS = ["plot1", "plot2", "plot3", "plot4"]
EMERGENCY_VERBS = ("pool-emergency-transition-to-master", "pool-emergency-reset-master", "pool-recover-slaves",
                   "host-emergency-ha-disable", "pool-designate-new-master")
SETTINGS = dict(ENGINE_FAST, ha_election_margin=3.0, poll_interval=0.3)


def emergency_commands_sent(sim: Simulator) -> list[tuple[str, str]]:
    return [(h, a[1]) for h, a in sim.received if len(a) > 1 and a[0].endswith("xe") and a[1] in EMERGENCY_VERBS]


def nothing_offered(eng: PoolEngine, d: Diagnosis) -> None:
    """No face offers a promote while HA is electing: the recommendation, the proposed plan, the recover
    plan (blocked) and the runner's guard rails (refused, with the reason and the time left)."""
    assert d.recommendation is not None and d.recommendation.action is Action.WAIT
    assert "change nothing until" in d.recommendation.reason
    proposed = propose_plan(eng.facts, d)
    assert proposed.kind == "wait" and proposed.steps == []
    assert d.candidate is None
    promote = plan_promote_and_recover(eng.facts, d, candidate="plot2")
    assert promote.blocked
    assert any("s left" in c.detail for c in promote.preconditions if not c.ok), promote.blocked_reason
    why = check_step(promote.steps[0], eng.facts, d)
    assert why is not None and "HA" in why, why


async def test_ha_master_cable_pulled_elects_by_itself(sim_factory, tmp_path: Path) -> None:
    sim: Simulator = await sim_factory("ha-master-lost", hosts=4, **{**HA_FAST, "ha_timeout": 2.0})
    eng = engine_for(sim, **SETTINGS)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        d = await probe_until(eng, lambda d: d.verdict is Verdict.HA_ELECTING, "HA electing")
        assert d.ha is not None and d.ha.seconds_left is not None and d.ha.seconds_left > 0
        nothing_offered(eng, d)
        # the runner refuses it too, even when asked directly (the guard rails, not only the screens)
        report = await PlanRunner(eng, audit, lambda s: True, fuse=0.3, settle_timeout=3.0).run(
            plan_promote_and_recover(eng.facts, d, candidate="plot2")
        )
        assert all(r.status in (StepStatus.REFUSED, StepStatus.NOT_RUN) for r in report.results), report.results
        assert emergency_commands_sent(sim) == []
        seen: set[Verdict] = set()

        def recovered(d: Diagnosis) -> bool:
            seen.add(d.verdict)
            if d.verdict not in (Verdict.HA_RECOVERED, Verdict.HA_ELECTING):
                raise AssertionError(f"neither electing nor recovered: {d.verdict}: {d.summary}")
            if d.verdict is Verdict.HA_ELECTING:
                nothing_offered(eng, d)
            return d.verdict is Verdict.HA_RECOVERED

        d = await probe_until(eng, recovered, "HA recovered by itself", timeout=30.0)
        new = d.master.name if d.master else None
        assert new in ("plot2", "plot3", "plot4") and d.recommendation.action is Action.NONE
        assert "plot1" in d.summary
        assert emergency_commands_sent(sim) == []  # the operator did nothing
        # the cable comes back: plot1 was fenced (rebooted) and now follows the new master
        log = sim.pool.host("plot1").read("/var/log/xensource.log").decode()
        assert "self-fencing" in log
        await sim.fault("cable-restore", "plot1")
        d = await probe_until(
            eng, lambda d: d.verdict is Verdict.HEALTHY and all(d.hosts[h].follows == new for h in HOSTS),
            f"every host follows {new}", timeout=30.0,
        )
        assert d.masters == [new]
        r = await run_on(sim, "plot1", "cat /etc/xensource/pool.conf")
        assert r.stdout.strip() == f"slave:{sim.pool.host(new).address}"
        assert [h.name for h in sim.pool.hosts.values() if h.is_master] == [new]  # no split brain
        assert emergency_commands_sent(sim) == []
    finally:
        await eng.stop()


async def test_ha_wedged_guided_disable_then_promote_and_recover(sim_factory, tmp_path: Path) -> None:
    sim: Simulator = await sim_factory("ha-wedged", hosts=4, **{**HA_FAST, "ha_timeout": 2.0})
    eng = engine_for(sim, **SETTINGS)
    audit = AuditLog(tmp_path / "audit.jsonl")
    confirmed: list[tuple[str, str]] = []

    def confirm(step: Step) -> bool:
        confirmed.append((step.host, step.command))
        return True

    def runner() -> PlanRunner:
        return PlanRunner(eng, audit, confirm, fuse=0.3, settle_timeout=15.0, poll_interval=0.2)

    try:
        d = await probe_until(eng, lambda d: d.verdict is Verdict.HA_WEDGED, "HA wedged", timeout=30.0)
        plan = propose_plan(eng.facts, d)
        assert plan.kind == "ha-disable" and not plan.blocked, plan.blocked_reason
        survivors = ["plot2", "plot3", "plot4"]
        assert [s.host for s in plan.steps] == survivors
        assert all(s.command == "/opt/xensource/bin/xe host-emergency-ha-disable --force" for s in plan.steps)
        assert not any("emergency-transition" in s.command or "recover-slaves" in s.command for s in plan.steps)
        assert any("pool-ha-enable heartbeat-sr-uuids=" in n for n in plan.notes)
        report = await runner().run(plan)
        assert [r.status for r in report.results] == [StepStatus.OK] * 3, [r.verification for r in report.results]
        assert all(r.verified for r in report.results)
        assert all("ha.armed=false" in r.verification for r in report.results)
        for h in survivors:  # read back by hand too
            r = await run_on(sim, h, "cat /var/lib/xcp/local.db")
            assert '<row key="ha.armed" value="false"/>' in r.stdout
        # every survivor disarmed: the normal master-lost, and its promote + recover
        d = await probe_until(eng, lambda d: d.verdict is Verdict.MASTER_LOST, "master lost, HA disarmed")
        assert d.recommendation.action is Action.PROMOTE
        plan = propose_plan(eng.facts, d)
        assert plan.kind == "promote-and-recover" and not plan.blocked, plan.blocked_reason
        new = plan.steps[0].host
        report = await runner().run(plan)
        assert [r.status for r in report.results] == [StepStatus.OK] * 2, [r.verification for r in report.results]
        others = [h for h in survivors if h != new]
        await probe_until(eng, lambda d: all(d.hosts[h].follows == new for h in others), f"survivors follow {new}")
        # the old master's cable back: it boots armed into a pool without HA, disarms, follows the new master
        await sim.fault("cable-restore", "plot1")
        d = await probe_until(
            eng, lambda d: d.verdict is Verdict.HEALTHY and all(d.hosts[h].follows == new for h in HOSTS),
            "healthy", timeout=30.0,
        )
        assert [h.name for h in sim.pool.hosts.values() if h.is_master] == [new]
        sent = emergency_commands_sent(sim)
        assert sent[:3] == [(h, "host-emergency-ha-disable") for h in survivors]
        assert (new, "pool-emergency-transition-to-master") in sent and (new, "pool-recover-slaves") in sent
        assert [c for _, c in confirmed].count("/opt/xensource/bin/xe host-emergency-ha-disable --force") == 3
    finally:
        await eng.stop()
