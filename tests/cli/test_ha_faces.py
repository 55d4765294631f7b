"""Issue 27's faces on the simulator: `check` exits 1 while HA elects (with the time left) and 2 once
wedged; `plan --json` never holds an emergency step while a live host is armed; `status` shows the HA
column and the JSON; the exporter the armed hosts and the window."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from helpers.engines import engine_for
from helpers.settings import HA_FAST
from xentui.cli.exporter import pool_families, snapshot
from xentui.cli.main import main
from xensim.server import Simulator

EMERGENCY = ("pool-emergency-transition-to-master", "pool-emergency-reset-master", "pool-recover-slaves")
TIMEOUTS = ["--connect-timeout", "2", "--command-timeout", "2", "--reach-timeout", "1"]


def with_settings(sim: Simulator, tmp_path: Path, margin: float) -> Path:
    conf = sim.dir / "pools.toml"
    text = conf.read_text()
    conf.write_text(f'[settings]\nha_election_margin = {margin}\naudit_file = "{tmp_path / "audit.jsonl"}"\n' + text)
    return conf


async def xentui(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = await asyncio.to_thread(main, list(argv))
    return rc, capsys.readouterr().out


async def test_check_warns_while_electing_then_is_critical_once_wedged(
    sim_factory: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sim = await sim_factory("ha-wedged", hosts=4, **{**HA_FAST, "ha_timeout": 2.0})
    conf = with_settings(sim, tmp_path, margin=2.0)
    rc, out = await xentui(capsys, "check", "--config", str(conf), "--complete", *TIMEOUTS)
    assert rc == 1, out
    assert out.startswith("XENTUI WARNING - pool sim ha-electing: ") and "change nothing until" in out
    assert " s left" in out
    await asyncio.sleep(4.5)  # past the window: first seen + T 2 s + margin 2 s
    rc, out = await xentui(capsys, "check", "--config", str(conf), "--complete", *TIMEOUTS)
    assert rc == 2, out
    assert out.startswith("XENTUI CRITICAL - pool sim ha-wedged: ")
    assert (tmp_path / "ha-lost-sim.json").exists()


@pytest.mark.parametrize("scenario, verdict, kind", [("ha-master-lost", "ha-electing", "wait"), ("ha-wedged", "ha-electing", "wait")])
async def test_plan_json_has_no_emergency_step_while_armed(
    sim_factory: Any, capsys: pytest.CaptureFixture[str], scenario: str, verdict: str, kind: str
) -> None:
    sim = await sim_factory(scenario, hosts=4, **{**HA_FAST, "ha_timeout": 30.0})
    rc, out = await xentui(capsys, "plan", "--json", "--config", str(sim.dir / "pools.toml"), *TIMEOUTS)
    doc = json.loads(out)
    assert doc["verdict"] == verdict and doc["kind"] == kind
    assert not any(v in s["command"] for s in doc["steps"] for v in EMERGENCY)
    verbs = {f["command"].split()[1] for f in doc["forbidden"]}
    assert set(EMERGENCY) | {"pool-designate-new-master"} <= verbs, verbs


async def test_plan_json_wedged_disarms_first(sim_factory: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sim = await sim_factory("ha-wedged", hosts=4, **{**HA_FAST, "ha_timeout": 2.0})
    conf = with_settings(sim, tmp_path, margin=1.0)
    await asyncio.sleep(3.5)  # a plan made past the window (the engine's first sighting is at its probe)
    # one-shot `plan` has no memory: the liveset alone does not say how long ago; the window starts now
    eng = engine_for(sim, connect_timeout=2.0, command_timeout=2.0, reach_timeout=1.0, ha_election_margin=1.0)
    try:
        from xentui.actions.propose import propose_plan

        deadline = time.monotonic() + 15
        while True:
            d = await eng.probe_once()
            if d.verdict.value == "ha-wedged" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert d.verdict.value == "ha-wedged", d.summary
        plan = propose_plan(eng.facts, d)
        doc = json.loads(plan.model_dump_json())
        assert doc["kind"] == "ha-disable"
        assert [s["command"] for s in doc["steps"]] == ["/opt/xensource/bin/xe host-emergency-ha-disable --force"] * 3
        assert not any(v in s["command"] for s in doc["steps"] for v in EMERGENCY)
        fams = {f.name: f for f in pool_families(snapshot(eng))}
        assert {s.labels["host"]: s.value for s in fams["xentui_host_ha_armed"].samples} == {
            "plot2": 1.0, "plot3": 1.0, "plot4": 1.0}
        assert any(s.labels.get("xentui_pool_verdict") == "ha-wedged" and s.value == 1
                   for s in fams["xentui_pool_verdict"].samples)
    finally:
        await eng.stop()
    del conf


async def test_status_shows_the_ha_column_and_json(sim_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = await sim_factory("ha-master-lost", hosts=3, **{**HA_FAST, "ha_timeout": 30.0})
    rc, out = await xentui(capsys, "status", "--config", str(sim.dir / "pools.toml"), *TIMEOUTS)
    head = next(line for line in out.splitlines() if line.startswith("HOST"))
    assert " HA " in head
    assert any(line.startswith("plot2") and " armed " in line for line in out.splitlines())
    assert "HA-ELECTING" in out
    rc, out = await xentui(capsys, "status", "--json", "--config", str(sim.dir / "pools.toml"), *TIMEOUTS)
    doc = json.loads(out)
    assert doc["verdict"] == "ha-electing" and doc["ha"]["armed"] == ["plot2", "plot3"]
    plot2 = next(h for h in doc["hosts"] if h["name"] == "plot2")
    assert plot2["ha"]["armed"] is True and plot2["ha"]["timeout"] == 30.0 and len(plot2["ha"]["liveset"]) == 3


async def test_healthy_status_has_no_ha_column(sim_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = await sim_factory("healthy", hosts=2)
    rc, out = await xentui(capsys, "status", "--config", str(sim.dir / "pools.toml"), *TIMEOUTS)
    head = next(line for line in out.splitlines() if line.startswith("HOST"))
    assert " HA " not in head
