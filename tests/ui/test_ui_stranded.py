"""The stranded-VM pane on a live simulator (real SSH, real HTTP to the BMCs): after the fence, the
promotion and the recovery, `v` lists plot1's VMs, `r` resets and starts each (F8 each), read back."""

from __future__ import annotations

from typing import Any

from helpers.console import XE, confirm_f8, fast_config, open_pane, pane_available, run_done, verdict
from helpers.engines import engine_for
from helpers.keys import send_key, until
from helpers.settings import ENGINE_FAST
from xentui.actions import PlanRunner, StepAction, propose_plan
from xentui.diagnosis import Verdict
from xentui.trail.audit import AuditLog
from xentui.ui.app import XentuiApp
from xentui.ui.panes.stranded import StrandedScreen
from xensim.scenarios import stable_uuid

VMS = (("web1", "plot1", ""), ("db1", "plot1", ""))


async def test_stranded_pane_resets_and_starts_the_fenced_hosts_vms(sim_factory: Any, tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS, fuse=0.3)
    engine = engine_for(sim, **ENGINE_FAST, toolstack_fuse=0.3, power_settle_timeout=3.0, power_poll_interval=0.1)
    try:  # what happened before the console opened: watched, cut off, fenced, promoted, recovered
        await engine.probe_once()
        await sim.fault("cable-pull", "plot1")
        for _ in range(50):
            d = await engine.probe_once()
            if d.verdict is Verdict.MASTER_LOST:
                break
        plan = propose_plan(engine.facts, d)
        assert plan.steps[0].action is StepAction.FENCE
        report = await PlanRunner(engine, AuditLog(tmp_path / "a.jsonl"), lambda s: True, fuse=0.3,
                                  settle_timeout=15, poll_interval=0.2).run(plan)
        assert report.complete, report.text()
    finally:
        await engine.stop()
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.DEGRADED and pane_available(app, "stranded")
                    and app.current_slot.source.facts["plot1"].power is not None, 25, "degraded, plot1's BMC read")  # type: ignore[union-attr]
        pane = await open_pane(app, "v", StrandedScreen)
        await until(lambda: pane.vms is not None and pane.plan is not None and len(pane.plan.steps) == 4, 15, "the VMs read")
        assert not pane.plan.blocked, pane.plan.blocked_reason
        assert "plot1 is fenced" in pane.plan.gate
        send_key(app, "r")
        for vm in ("web1", "db1"):
            step = next(s for s in pane.plan.steps if s.name_label == vm and s.action is StepAction.VM_RESET_POWERSTATE)
            await confirm_f8(app, "plot2", step.command)
            await confirm_f8(app, "plot2", f"{XE} vm-start uuid={stable_uuid('vm', vm)}")
        await run_done(pane, 1)
        assert pane.report is not None and pane.report.complete, pane.report.text() if pane.report else pane.error
    for vm in ("web1", "db1"):
        assert len(sim.pool.ledger.where(stable_uuid("vm", vm)) & {"plot2", "plot3"}) == 1
    assert sim.pool.ledger.ran_twice() == []
    assert list(app.errors) == []
