"""The recovery pane's modes on the simulator: `--dry-run` (nothing but probes reach the hosts),
stopping a run with Esc between steps, and declining a confirmation."""

from __future__ import annotations

from helpers.console import (
    SIDE_EFFECT_VERBS,
    XE,
    SimFactory,
    audit_log,
    confirm_f8,
    fast_config,
    open_pane,
    pane_available,
    run_done,
    shown,
    verdict,
    xe_sent,
)
from xentui.actions import StepStatus
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.recover import RecoverScreen
from helpers.keys import send_key, until



async def test_dry_run_shows_the_commands_and_runs_none(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.3)
    app = XentuiApp(config=fast_config(sim), dry_run=True)
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 20, "master lost")
        pane = await open_pane(app, "r", RecoverScreen)
        await until(lambda: pane.plan is not None and not pane.plan.blocked, 15, "an unblocked plan")
        assert "DRY RUN" in (pane.title or "")
        assert "DRY RUN" in shown(pane, "#pane-mode") and "none is run" in shown(pane, "#pane-mode")
        assert "DRY RUN" in shown(pane, "#pane-status")
        assert "dry run" in shown(pane, "#pane-steps")
        candidate = pane.plan.candidate
        send_key(app, "r")
        await run_done(pane, 1, timeout=10)
        assert not isinstance(app.screen, ConfirmScreen)  # nothing to confirm: nothing runs
        report = pane.report
        assert report is not None and report.dry_run
        assert [r.status for r in report.results] == [StepStatus.DRY_RUN, StepStatus.DRY_RUN]
        text = shown(pane, "#pane-report")
        assert "DRY RUN" in text and "nothing was run" in text
        assert f"{XE} pool-emergency-transition-to-master" in text and f"{XE} pool-recover-slaves" in text
    # nothing but probes reached the simulator
    for verb in SIDE_EFFECT_VERBS:
        assert xe_sent(sim, verb) == 0, verb
    assert all(sim.pool.host(f"plot{i}").pool_conf.startswith("slave:") for i in range(2, 9))
    assert audit_log(sim) == [
        (candidate, "pool-emergency-transition-to-master", "dry-run"),
        (candidate, "pool-recover-slaves", "dry-run"),
    ]
    assert list(app.errors) == []


async def test_esc_stops_between_steps_and_a_declined_step_runs_nothing(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 20, "master lost")
        pane = await open_pane(app, "r", RecoverScreen)
        await until(lambda: pane.plan is not None and not pane.plan.blocked, 15, "an unblocked plan")
        candidate = pane.plan.candidate

        # Esc on the first confirmation: declined, nothing runs
        send_key(app, "r")
        await until(lambda: isinstance(app.screen, ConfirmScreen), 10, "the confirmation")
        send_key(app, "escape")
        await run_done(pane, 1)
        assert pane.report is not None and pane.report.results[0].status is StepStatus.DECLINED
        assert pane.report.ran == []
        assert xe_sent(sim, "pool-emergency-transition-to-master") == 0

        # F8 on the promotion, then Esc on the pane while it waits for the toolstack: the run stops there
        send_key(app, "r")
        await confirm_f8(app, candidate, f"{XE} pool-emergency-transition-to-master")
        await until(lambda: pane.states.get(0) in ("running", "waiting", "verifying"), 10, "the promotion under way")
        send_key(app, "escape")
        await until(lambda: pane.stopping or not pane.running, 5, "the stop request")
        assert isinstance(app.screen, (RecoverScreen, ConfirmScreen))  # the pane is not left while it runs
        if isinstance(app.screen, ConfirmScreen):  # the promotion was verified before the Esc arrived
            send_key(app, "escape")
        await run_done(pane, 2)
        report = pane.report
        assert report is not None and report.results[1].status is StepStatus.NOT_RUN
        assert "cancel" in (report.stopped or "") or "declined" in (report.stopped or "")
        assert xe_sent(sim, "pool-recover-slaves") == 0
        assert isinstance(app.screen, RecoverScreen)
        assert "stopped" in shown(pane, "#pane-status")
    assert [o for _, _, o in audit_log(sim)][:2] == ["declined", "ok"]
    assert list(app.errors) == []
