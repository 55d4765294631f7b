"""The designate pane (planned maintenance) on the simulator, driven by keys.

host-offline: plot7 is down → designate plot5 is refused before trying, plot7
named, nothing sent; plot7 boots → the pane's plan turns runnable by itself →
`r`, F8 on the master → every host follows plot5.  And when a host goes down
between the check and the command, HOST_OFFLINE is explained in plain words.
"""

from __future__ import annotations

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
    run_done,
    shown,
    verdict,
    xe_sent,
)
from xentui.actions import StepStatus
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.designate import DesignateScreen
from xentui.ui.screens.pool import PoolScreen
from helpers.keys import send_key, until
from xentui.ui.widgets import HostTable


async def test_designate_refused_while_plot7_is_down_then_every_host_follows_plot5(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="host-offline", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    uuid5 = sim.pool.host("plot5").uuid
    async with app.run_test(size=(80, 24)):
        await until(
            lambda: verdict(app) is Verdict.DEGRADED and pane_available(app, "designate")
            and not app.current_slot.source.facts["plot7"].reachable  # type: ignore[union-attr]
            and app.current_slot.source.facts["plot5"].uuid is not None,  # type: ignore[union-attr]
            20,
            "degraded, plot7 down",
        )
        assert not pane_available(app, "recover") and not pane_available(app, "split-brain")
        # the target defaults to the host selected in the table
        table = app.screen.query_one(HostTable)
        while table.selected_host != "plot5":
            send_key(app, "down")
            row = table.cursor_row
            await until(lambda: table.cursor_row != row or table.selected_host == "plot5", 3, "the cursor")
        pane = await open_pane(app, "m", DesignateScreen)
        assert "move the master role before shutting this host down" in (pane.title or "").lower()
        await until(lambda: pane.plan is not None and pane.plan.target == "plot5", 10, "plot5 as the target")
        target = shown(pane, "#targets-chosen")
        assert uuid5 in target and "OWN" in target and "/etc/xensource-inventory" in target
        assert "not from name resolution" in target
        checks = shown(pane, "#pane-checks")
        assert "every host live" in checks and "plot7" in checks and "HOST_OFFLINE" in checks
        assert pane.plan.blocked and pane.plan.not_live == ["plot7"]

        send_key(app, "r")
        await until(lambda: pane.refusal is not None, 5, "the refusal")
        assert "plot7" in (pane.refusal or "")
        assert "plot7" in shown(pane, "#pane-status")
        assert not isinstance(app.screen, ConfirmScreen) and pane.runs == 0
        assert xe_sent(sim, "pool-designate-new-master") == 0

        # plot7 boots: the plan turns runnable without leaving the pane
        await sim.fault("boot", "plot7")
        await until(lambda: not pane.plan.blocked, 25, "every host live again")
        await until(lambda: "moves the master role to plot5" in shown(pane, "#pane-status"), 5, "the run hint")
        assert pane.refusal is None
        assert pane.plan.steps[0].host == "plot1"
        send_key(app, "r")
        await confirm_f8(app, "plot1", f"{XE} pool-designate-new-master host-uuid={uuid5}")
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and report.complete, report.text() if report else pane.error
        assert sim.pool.host("plot5").pool_conf == "master"
        for h in HOSTS:
            if h != "plot5":
                assert sim.pool.host(h).pool_conf == f"slave:{addr(sim, 'plot5')}", h
        assert pane.after is not None and all(pane.after.hosts[h].follows == "plot5" for h in HOSTS)
        assert "plot5 master ← plot1 plot2 plot3 plot4 plot6 plot7 plot8" in shown(pane, "#pane-report")
        send_key(app, "escape")
        await until(lambda: isinstance(app.screen, PoolScreen), 5, "the pool screen")
    assert list(app.errors) == []
    assert audit_log(sim) == [
        ("plot1", f"pool-designate-new-master host-uuid={uuid5}", "refused"),
        ("plot1", f"pool-designate-new-master host-uuid={uuid5}", "ok"),
    ]


async def test_host_offline_after_the_check_is_explained_with_the_host_named(sim_factory: SimFactory) -> None:
    """Every host answered when the plan was checked; plot7 went down while the confirmation was open."""
    sim = await sim_factory(scenario="healthy", fuse=0.3)
    app = XentuiApp(config=fast_config(sim))
    async with app.run_test(size=(80, 24)):
        await until(lambda: verdict(app) is Verdict.HEALTHY and pane_available(app, "designate"), 20, "healthy")
        pane = await open_pane(app, "m", DesignateScreen)
        await until(lambda: pane.plan is not None and not pane.plan.blocked, 10, "a runnable plan")
        target = pane.plan.target
        send_key(app, "r")
        await until(lambda: isinstance(app.screen, ConfirmScreen), 10, "the confirmation")
        await sim.fault("shutdown", "plot7" if target != "plot7" else "plot6")
        gone = "plot7" if target != "plot7" else "plot6"
        await confirm_f8(app, "plot1", f"{XE} pool-designate-new-master host-uuid={sim.pool.host(target).uuid}")
        await run_done(pane, 1)
        r = pane.report.results[0]  # type: ignore[union-attr]
        assert r.status is StepStatus.FAILED and r.error_code == "HOST_OFFLINE"
        text = shown(pane, "#pane-report")
        assert f"{gone} could not be contacted (HOST_OFFLINE)" in text and "nothing changed" in text
        assert "failed" in shown(pane, "#pane-status")
    assert sim.pool.host("plot1").pool_conf == "master"
    assert [o for _, _, o in audit_log(sim)] == ["error"]
