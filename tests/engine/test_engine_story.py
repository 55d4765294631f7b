"""One pool state, one verdict (issue 15 point 3): the seed's story on the simulator, 8 hosts.

healthy -> master's cable pulled -> promote plot7 -> recover-slaves on plot7 (plot1 still cut
off) -> plot1 back, still claiming master -> heal from plot7 -> plot7's toolstack hangs.

After each step the long-running engine (supervisors, carried facts, the console's engine),
both as it streams (a watcher loop per host, issue 24) and as it polls, must settle on a verdict, and a fresh one-shot probe (what `xentui status` runs) must agree
on the verdict and the master: any difference may only be last-seen context.  Commands are
real `xe` calls over SSH.  While plot1 is cut off, nothing may say it answers, and no
recommendation may target it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers.engines import until
from xentui.actions.propose import plan_from_recommendation
from xentui.core.config import load_config
from xentui.diagnosis import Action, Diagnosis, Verdict
from xentui.engine.pool import PoolEngine
from xentui.xe import commands as xc

FAST = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0, poll_interval=1.0)


async def one_shot(config) -> Diagnosis:
    engine = PoolEngine(config.pools[0], config.settings)
    try:
        return await engine.probe_once()
    finally:
        await engine.stop()


def agree(live: Diagnosis, fresh: Diagnosis) -> None:
    assert live.verdict is fresh.verdict, (live.summary, fresh.summary)
    assert live.masters == fresh.masters, (live.summary, fresh.summary)
    lm = live.majority_master.name if live.majority_master else None
    fm = fresh.majority_master.name if fresh.majority_master else None
    assert lm == fm
    la, fa = live.recommendation, fresh.recommendation
    lr = (la.action, la.host) if la else None
    fr = (fa.action, fa.host) if fa else None
    assert lr == fr, (la, fa)


@pytest.mark.parametrize("stream", [True, False], ids=["streaming", "polling"])
async def test_the_story_has_one_verdict_per_state(sim_factory, stream: bool):
    sim = await sim_factory("healthy")
    config = load_config(sim.dir / "pools.toml")
    config = config.model_copy(update={"settings": config.settings.model_copy(update=FAST)})
    live_settings = config.settings.model_copy(update={"watch_stream": stream})
    engine = PoolEngine(config.pools[0], live_settings)
    seen: list[Diagnosis] = []
    engine.listeners.append(lambda f: seen.append(engine.diagnose()))
    engine.start()
    try:
        d = await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healthy")
        agree(d, await one_shot(config))
        if stream:  # the streaming engine hears every host through its loop
            await until(engine, lambda d: all(f.watch == "stream" for f in engine.facts.values()), "streaming")

        # cable pull: master lost, within poll + reach + 1 s (plus slack for a shared 2-core box)
        await sim.fault("cable-pull", "plot1")
        pulled, seen_from = time.monotonic(), len(seen)
        d = await until(engine, lambda d: d.verdict is Verdict.MASTER_LOST, "master lost")
        took = time.monotonic() - pulled
        assert took <= FAST["poll_interval"] + FAST["reach_timeout"] + 1 + 1.5, took
        for between in seen[seen_from:]:  # no frame in between says plot1 answers
            assert "answers" not in between.summary, between.summary
            assert between.verdict in (Verdict.HEALTHY, Verdict.UNKNOWN, Verdict.MASTER_LOST), between.summary
            rec = between.recommendation
            assert rec is None or rec.action in (Action.NONE, Action.PROMOTE), between.summary
        d = await until(engine, lambda d: d.recommendation is not None and d.recommendation.action is Action.PROMOTE, "promote")
        fresh = await one_shot(config)
        assert fresh.verdict is Verdict.MASTER_LOST and fresh.majority_master and fresh.majority_master.name == "plot1"

        # promote plot7, then recover-slaves on it, plot1 still cut off
        r = await engine.sessions["plot7"].run(xc.pool_emergency_transition_to_master(), 20)
        assert r.ok, r.stderr
        await asyncio.sleep(1.0)
        r = await engine.sessions["plot7"].run(xc.pool_recover_slaves(), 20)
        assert r.ok, r.stderr

        def recovered(d: Diagnosis) -> bool:
            rec = d.recommendation
            return d.verdict is Verdict.DEGRADED and d.masters == ["plot7"] and rec is not None and rec.host == "plot1"

        d = await until(engine, recovered, "recovered, plot1 last seen")
        assert "plot1 is unreachable and was master when last seen at" in d.summary, d.summary
        assert d.recommendation.action is Action.INVESTIGATE and d.recommendation.command is None
        assert "unreachable" in [f.value for f in d.hosts["plot1"].flags]
        plan = plan_from_recommendation(engine.facts, d)
        assert all(step.host != "plot1" for step in plan.steps), plan  # nothing aimed at a memory
        agree(d, await one_shot(config))

        # plot1 comes back still believing it is master: split brain, healed from plot7
        await sim.fault("cable-restore", "plot1")
        d = await until(engine, lambda d: d.verdict is Verdict.SPLIT_BRAIN, "split brain")
        d = await until(engine, lambda d: d.recommendation is not None and d.recommendation.action is Action.RECOVER_SLAVES, "heal advice")
        assert d.recommendation.host == "plot7"
        agree(d, await one_shot(config))

        r = await engine.sessions["plot7"].run(xc.pool_recover_slaves(), 20)
        assert r.ok, r.stderr
        d = await until(engine, lambda d: d.verdict is Verdict.HEALTHY, "healed", timeout=30)
        assert d.master and d.master.name == "plot7"
        agree(d, await one_shot(config))

        # plot7's toolstack hangs
        await sim.fault("hang-xapi", "plot7")
        d = await until(engine, lambda d: d.verdict is Verdict.MASTER_LOST and d.recommendation is not None
                        and d.recommendation.action is Action.RESTART_TOOLSTACK, "hung", timeout=30)
        agree(d, await one_shot(config))
    finally:
        await engine.stop()
