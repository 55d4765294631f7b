"""The recovery pane end to end: the console on the simulator over real SSH, driven by keys.

The field story through the UI: the master is shut down → `r` opens the
recovery pane → plot2 picked → `r` runs it, F8 confirms the promotion and
then recover-slaves → all 7 reachable hosts follow plot2 (pool.conf read on
the simulated hosts).  Then plot2's cable is pulled → plot3 promoted and
recovered; the cable comes back → split brain shown → in the split-brain
pane recover-slaves on plot2 is refused, on plot3 accepted → plot2 follows
plot3.

Fast settings (connect 2 s, command 3 s, reach 1 s, poll 0.5 s, fuse 0.3 s);
every wait is a poll with a deadline (helpers in tests/helpers/console.py).
"""

from __future__ import annotations

import asyncio

from xentui.actions import StepStatus
from xentui.trail.audit import AuditLog
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.render import VERDICT_LABEL
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.recover import RecoverScreen
from xentui.ui.panes.splitbrain import SplitBrainScreen
from xentui.ui.screens.pool import PoolScreen
from helpers.keys import send_key, until
from xentui.ui.screens.activity import ActivityScreen
from xentui.ui.widgets import VerdictBanner
from xentui.ui.widgets.activity import ActivityLog

from helpers.console import (
    HOSTS,
    XE,
    SimFactory,
    addr,
    audit_log,
    confirm_f8,
    fast_config,
    open_pane,
    pane_available,
    pick,
    run_done,
    shown,
    verdict,
    xe_sent,
)


# --------------------------------------------------------------------------- the field story


async def test_field_story_promote_recover_then_heal_the_split_brain(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        # ------------------------------------------------------------ 1. the master was shut down
        await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 20, "master lost")
        assert not pane_available(app, "split-brain") and not pane_available(app, "designate")
        pane = await open_pane(app, "r", RecoverScreen)
        # the truth first: the preconditions, checked and explained
        await until(lambda: pane.plan is not None and not pane.plan.blocked, 15, "an unblocked plan")
        checks = shown(pane, "#pane-checks")
        for words in ("master unreachable from the jump box", "master unreachable from the slaves", "HA not armed", "candidate"):
            assert words in checks
        guards = shown(pane, "#pane-guards")
        assert "host-forget on plot1" in guards and "orphans it" in guards and "reinstalled" in guards
        await pick(app, "candidates", "plot2", lambda: pane.candidate == "plot2")
        await until(lambda: pane.plan.candidate == "plot2" and not pane.plan.blocked, 10, "plot2 as the candidate")
        assert "Promote plot2" in shown(pane, "#candidates-head")
        steps = shown(pane, "#pane-steps")
        assert f"{XE} pool-emergency-transition-to-master" in steps and f"{XE} pool-recover-slaves" in steps

        send_key(app, "r")
        await confirm_f8(app, "plot2", f"{XE} pool-emergency-transition-to-master")
        await confirm_f8(app, "plot2", f"{XE} pool-recover-slaves", timeout=30.0)  # after the promotion is read back
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and report.complete, report.text() if report else pane.error
        # the fuse counted down while plot2's toolstack restarted
        fuse = [ev for ev in pane.progress_seen if ev.phase == "waiting" and ev.step == 0]
        assert fuse and fuse[0].host == "plot2" and fuse[0].fuse_s == 0.3 and fuse[-1].remaining_s == 0.0
        assert report.recover is not None
        assert sorted(report.recover.recovered) == HOSTS[2:]
        assert report.recover.not_recovered == {} and list(report.recover.unchecked) == ["plot1"]
        # every one of the 7 reachable hosts follows plot2, read on the simulated hosts themselves
        assert sim.pool.host("plot2").pool_conf == "master"
        for h in HOSTS[2:]:
            assert sim.pool.host(h).pool_conf == f"slave:{addr(sim, 'plot2')}", h
        text = shown(pane, "#pane-report")
        assert "recover-slaves on plot2" in text and "6 of 6 expected hosts reset" in text
        assert sim.pool.host("plot5").uuid in text  # expected vs printed UUIDs
        assert "Who follows whom now" in text and "plot2 master ← plot3 plot4 plot5 plot6 plot7 plot8" in text
        assert pane.after is not None and all(pane.after.hosts[h].follows == "plot2" for h in HOSTS[1:])
        # the pane's headline follows the header's diagnosis: the master is no longer lost
        await until(lambda: verdict(app) is not Verdict.MASTER_LOST, 20, "the header past MASTER LOST")
        await until(lambda: "Master no longer lost" in shown(pane, "#pane-headline"), 5, "the pane's headline")
        assert f" {VERDICT_LABEL[verdict(app)]} " in shown(pane, "#pane-headline")  # type: ignore[index]
        send_key(app, "escape")

        # ------------------------------------------------------------ 2. plot2 loses its cable
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "the pool screen")
        await sim.fault("cable-pull", "plot2")

        def plot2_lost() -> bool:
            d = app.current_slot.diagnosis  # type: ignore[union-attr]
            return (
                d is not None
                and d.verdict is Verdict.MASTER_LOST
                and d.majority_master is not None
                and d.majority_master.name == "plot2"
                and pane_available(app, "recover")
            )

        await until(plot2_lost, 25, "master lost, plot2")
        pane = await open_pane(app, "r", RecoverScreen)
        await pick(app, "candidates", "plot3", lambda: pane.candidate == "plot3")
        await until(lambda: pane.plan.candidate == "plot3" and not pane.plan.blocked, 15, "plot3, unblocked")
        send_key(app, "r")
        await confirm_f8(app, "plot3", f"{XE} pool-emergency-transition-to-master")
        await confirm_f8(app, "plot3", f"{XE} pool-recover-slaves", timeout=30.0)  # after the promotion is read back
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and report.complete, report.text() if report else pane.error
        assert report.recover is not None and sorted(report.recover.recovered) == HOSTS[3:]
        assert list(report.recover.not_recovered) == ["plot2"]
        assert "plot2" in shown(pane, "#pane-report") and "not recovered" in shown(pane, "#pane-report")
        assert sim.pool.host("plot3").pool_conf == "master"
        for h in HOSTS[3:]:
            assert sim.pool.host(h).pool_conf == f"slave:{addr(sim, 'plot3')}", h
        assert sim.pool.host("plot2").pool_conf == "master"  # cut off: still thinks it is master
        send_key(app, "escape")

        # ------------------------------------------------------------ 3. the cable is back: split brain
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "the pool screen")
        await sim.fault("cable-restore", "plot2")
        await until(lambda: verdict(app) is Verdict.SPLIT_BRAIN and pane_available(app, "split-brain"), 25, "split brain")
        await asyncio.sleep(0.3)
        assert app.screen.query_one(VerdictBanner).has_class("-split-brain")
        assert not pane_available(app, "recover")
        pane = await open_pane(app, "h", SplitBrainScreen)
        await until(lambda: pane.plan is not None and pane.chosen == "plot3", 10, "plot3 proposed")
        masters = shown(pane, "#sb-masters")
        assert "plot3 the pool follows it" in masters and "plot2" in masters and "database generation" in masters

        # recover-slaves on plot2 (the old master) is refused, with the reason; nothing reaches plot2
        before = xe_sent(sim, "pool-recover-slaves", "plot2")
        await pick(app, "masters", "plot2", lambda: pane.chosen == "plot2")
        assert "refused" in shown(pane, "#masters-chosen")
        assert pane.check_action("override", ()) is True  # only behind the typed confirmation
        send_key(app, "r")
        await until(lambda: pane.refusal is not None, 5, "the refusal")
        assert "would pull the pool back to the old master's database" in pane.refusal
        assert "Refused" in shown(pane, "#pane-status")
        await asyncio.sleep(0.3)
        assert not isinstance(app.screen, ConfirmScreen) and pane.runs == 0
        assert xe_sent(sim, "pool-recover-slaves", "plot2") == before

        # on plot3 (the majority master) it is accepted: plot2 follows plot3
        await pick(app, "masters", "plot3", lambda: pane.chosen == "plot3")
        assert not pane.plan.blocked, pane.plan.blocked_reason
        send_key(app, "r")
        await confirm_f8(app, "plot3", f"{XE} pool-recover-slaves")
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and report.complete, report.text() if report else pane.error
        assert report.recover is not None and "plot2" in report.recover.recovered
        assert report.offers == []
        assert sim.pool.host("plot2").pool_conf == f"slave:{addr(sim, 'plot3')}"
        assert pane.after is not None and pane.after.hosts["plot2"].follows == "plot3"
        assert "plot2 (the old master) now follows plot3" in shown(pane, "#masters-chosen")
        assert xe_sent(sim, "pool-recover-slaves", "plot2") == before

        # ------------------------------------------------------------ 4. the activity log's actions view
        # every change the audit has (the refusal ran nothing), in the same order, marked as an action
        changes = [(r.host, r.command) for r in AuditLog(sim.dir / "audit.jsonl").read() if r.outcome == "ok"]
        assert len(changes) == 5

        def actions() -> list[tuple[str, str]]:
            return [(res.host, res.command) for _pool, res, action in app.command_history if action]

        await until(lambda: len(actions()) >= len(changes), 5, "the actions in the activity log")
        assert actions() == changes
        send_key(app, "escape")
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "the pool screen")
        send_key(app, "l")
        await until(lambda: isinstance(app.screen, ActivityScreen) and bool(app.screen.query(ActivityLog)), 5,
                    "the activity log")  # pushed, then composed: both, on a loaded machine
        log = app.screen.query_one(ActivityLog)
        send_key(app, "a")
        await until(lambda: log.actions_only, 5, "the actions-only view")
        assert log.lines_written == len(changes)
    assert list(app.errors) == []
    assert audit_log(sim) == [
        ("plot2", "pool-emergency-transition-to-master", "ok"),
        ("plot2", "pool-recover-slaves", "ok"),
        ("plot3", "pool-emergency-transition-to-master", "ok"),
        ("plot3", "pool-recover-slaves", "ok"),
        ("plot2", "pool-recover-slaves", "refused"),
        ("plot3", "pool-recover-slaves", "ok"),
    ]
    assert all(r.status is StepStatus.OK for r in report.results)
