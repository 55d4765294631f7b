"""`--dry-run` holds everywhere: no command with a side effect reaches a host.

Each plan kind the console runs (promote + recover-slaves, heal a split
brain, designate a new master, SR create) is run by `PlanRunner` with
`dry_run=True` against the simulator, over real SSH: the simulator records
every argv its hosts ran (`sim.received`), and nothing at all reaches a host
during the run.  Then the reported case: `xentui --dry-run demo`, `r`, and
the promotion must not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from xentui.cli import main as cli
from xentui.actions import Plan, PlanRunner, StepStatus
from xentui.actions.designate import plan_designate_master
from xentui.actions.recover import plan_promote_and_recover
from xentui.actions.splitbrain import plan_heal_split_brain
from xentui.actions.storage import plan_local_sr, read_host_storage
from xentui.trail.audit import AuditLog
from xentui.devtools.demo import DemoController
from helpers.keys import send_key, until
from xentui.diagnosis import Diagnosis, Verdict
from xentui.engine.pool import PoolEngine
from xensim.server import Simulator
from xensim.state import Timing
from xentui.ui.app import XentuiApp
from xentui.ui.confirm import ConfirmScreen
from xentui.ui.panes.recover import RecoverScreen

from helpers.console import CONSOLE_FAST, SIDE_EFFECT_VERBS, open_pane, pane_available, run_done, verdict, xe_sent
from helpers.engines import engine_for
from helpers.settings import SIM_TIMING

SimFactory = Callable[..., Awaitable[Simulator]]


async def _promote(eng: PoolEngine, d: Diagnosis) -> Plan:
    assert d.verdict is Verdict.MASTER_LOST, d.summary
    return plan_promote_and_recover(eng.facts, d, candidate="plot2")


async def _heal(eng: PoolEngine, d: Diagnosis) -> Plan:
    assert d.verdict is Verdict.SPLIT_BRAIN, d.summary
    return plan_heal_split_brain(eng.facts, d)


async def _designate(eng: PoolEngine, d: Diagnosis) -> Plan:
    assert d.verdict is Verdict.HEALTHY, d.summary
    return plan_designate_master(eng.facts, d, "plot5")


async def _sr_create(eng: PoolEngine, d: Diagnosis) -> Plan:
    storage = await read_host_storage(eng, "plot3", eng.settings.command_timeout)
    assert storage.error is None, storage.error
    return plan_local_sr(storage, "sdb1").as_plan()


PLANS: dict[str, tuple[str, Callable[[PoolEngine, Diagnosis], Awaitable[Plan]], list[str]]] = {
    "promote-and-recover": ("master-shutdown", _promote, ["pool-emergency-transition-to-master", "pool-recover-slaves"]),
    "heal-split-brain": ("split-brain", _heal, ["pool-recover-slaves"]),
    "designate": ("healthy", _designate, ["pool-designate-new-master"]),
    "sr-create": ("healthy", _sr_create, ["sr-create"]),
}


@pytest.mark.parametrize("kind", list(PLANS))
async def test_each_plan_kind_under_dry_run_reaches_no_host(kind: str, sim_factory: SimFactory, tmp_path: Path) -> None:
    scenario, make, verbs = PLANS[kind]
    sim = await sim_factory(scenario=scenario)
    eng = engine_for(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    asked: list[Any] = []
    try:
        d = await eng.probe_once()
        plan = await make(eng, d)
        assert not plan.blocked, plan.blocked_reason
        assert [s.command.split()[1] for s in plan.steps] == verbs
        before = len(sim.received)
        report = await PlanRunner(eng, audit, lambda s: asked.append(s) or True, dry_run=True).run(plan)
        during = sim.received[before:]
    finally:
        await eng.stop()
    assert during == []  # not one command, of any kind, reached a host during the dry run
    assert asked == []  # nothing to confirm: nothing runs
    assert [r.status for r in report.results] == [StepStatus.DRY_RUN] * len(verbs)
    assert [(r.host, r.command, r.outcome) for r in audit.read()] == [(s.host, s.command, "dry-run") for s in plan.steps]
    for verb in SIDE_EFFECT_VERBS:
        assert xe_sent(sim, verb) == 0, verb


async def test_dry_run_demo_r_runs_no_promotion(tmp_path: Path) -> None:
    """The reported case: `xentui --dry-run demo`, `r`: the promote ran.  Now it is shown, audited as dry-run, not run."""
    demo = DemoController(
        scenario="master-shutdown",
        root=tmp_path,
        timing=Timing(**SIM_TIMING),
        settings=CONSOLE_FAST,
    )
    app = XentuiApp(demo=demo, dry_run=True)
    assert "dry run" in app.sub_title
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: verdict(app) is Verdict.MASTER_LOST and pane_available(app, "recover"), 25, "master lost")
        sim = demo.sim
        assert sim is not None
        pane = await open_pane(app, "r", RecoverScreen)
        await until(lambda: pane.plan is not None and not pane.plan.blocked, 15, "an unblocked plan")
        assert "DRY RUN" in (pane.title or "")
        send_key(app, "r")
        await run_done(pane, 1, timeout=10)
        assert not isinstance(app.screen, ConfirmScreen)
        send_key(app, "f8")  # what the admin pressed next: nothing to confirm, nothing runs
        await pilot.pause(0.2)  # handled here, not during the app's shutdown (no screen left to take it)
        report = pane.report
        assert report is not None and report.dry_run
        assert [r.status for r in report.results] == [StepStatus.DRY_RUN, StepStatus.DRY_RUN]
        for verb in SIDE_EFFECT_VERBS:
            assert xe_sent(sim, verb) == 0, verb
        assert all(sim.pool.host(f"plot{i}").pool_conf.startswith("slave:") for i in range(2, 9))
        records = [r.outcome for r in AuditLog(app.settings.audit_path).read()]
        assert records == ["dry-run", "dry-run"]
    assert list(app.errors) == []


def test_cli_hands_dry_run_to_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_demo(**kw: Any) -> int:
        seen.update(kw)
        return 0

    import xentui.devtools.demo as demo_module

    monkeypatch.setattr(demo_module, "run_demo", fake_run_demo)
    assert cli.main(["--dry-run", "demo", "--scenario", "master-shutdown"]) == 0
    assert seen["dry_run"] is True and seen["scenario"] == "master-shutdown"
    assert cli.main(["demo"]) == 0
    assert seen["dry_run"] is False
