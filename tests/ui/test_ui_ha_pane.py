"""The Disarm HA pane on the simulator, driven by keys (issue 27): ha-wedged → `r` opens the pane (the
checks, each survivor's liveset as its daemon sees it, one step a survivor) → `r`, F8 on each → each
read back ha.armed=false → the pool is a plain master-lost, and the recover pane (`r`) takes over."""

from __future__ import annotations

from helpers.console import SimFactory, confirm_f8, fast_config, open_pane, pane_available, run_done, shown, verdict
from helpers.keys import send_key, until
from helpers.settings import HA_FAST
from xentui.actions import StepStatus
from xentui.diagnosis import Verdict
from xentui.ui.app import XentuiApp
from xentui.ui.panes.ha import HaScreen

DISARM = "/opt/xensource/bin/xe host-emergency-ha-disable --force"


async def test_disarm_pane_runs_on_every_survivor_then_recover_is_offered(sim_factory: SimFactory) -> None:
    sim = await sim_factory(scenario="ha-wedged", hosts=4, fuse=0.3, **{**HA_FAST, "ha_timeout": 2.0})
    config = fast_config(sim)
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"ha_election_margin": 2.0})})
    app = XentuiApp(config=config)
    async with app.run_test(size=(100, 30)):
        await until(lambda: verdict(app) is Verdict.HA_WEDGED and pane_available(app, "ha"), 40, "HA wedged")
        assert not pane_available(app, "recover")
        pane = await open_pane(app, "r", HaScreen)
        await until(lambda: pane.plan is not None and len(pane.plan.steps) == 3, 10, "three survivors to disarm")
        assert "armed survivors" in shown(pane, "#pane-checks")
        live = shown(pane, "#ha-liveset")
        assert "as each host's HA daemon sees it" in live and "dead (holds the lock)" in live
        send_key(app, "r")
        for host in ("plot2", "plot3", "plot4"):
            await confirm_f8(app, host, DISARM)
        await run_done(pane, 1)
        report = pane.report
        assert report is not None and [r.status for r in report.results] == [StepStatus.OK] * 3, (
            report.text() if report else pane.error
        )
        assert all("ha.armed=false" in r.verification for r in report.results)
        await until(lambda: verdict(app) is Verdict.MASTER_LOST, 20, "a plain master-lost")
        send_key(app, "escape")
        await until(lambda: pane_available(app, "recover"), 10, "the recover pane offered")
