"""`xentui plan [--json]` against each simulator scenario: one probe, the proposed plan, nothing run.

`main()` runs in a worker thread (it calls asyncio.run) while the simulator serves from the test's loop.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from xentui.cli.main import main
from xensim.server import Simulator

XE = "/opt/xensource/bin/xe"
PROMOTE = f"{XE} pool-emergency-transition-to-master"
RECOVER = f"{XE} pool-recover-slaves"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


async def xentui_plan(sim: Simulator, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    argv = [
        "plan",
        *extra,
        "--config",
        str(sim.dir / "pools.toml"),
        "--connect-timeout",
        "2",
        "--command-timeout",
        "2",
        "--reach-timeout",
        "1",
    ]
    sent_before = len(sim.received)
    rc = await asyncio.to_thread(main, argv)
    out = capsys.readouterr().out
    # nothing but probes reached the hosts
    verbs = {argv[1] for _, argv in sim.received[sent_before:] if len(argv) > 1 and argv[0].endswith("xe")}
    assert verbs <= {"pool-list", "host-is-in-emergency-mode", "vm-list"}, verbs
    return rc, out


def forbidden(doc: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(f["host"], f["command"].split(f"{XE} ")[-1].split(" ")[0]) for f in doc["forbidden"]}


async def test_plan_json_healthy(sim_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = await sim_factory(scenario="healthy")
    rc, out = await xentui_plan(sim, capsys, "--json")
    doc = json.loads(out)
    assert rc == 0
    assert doc["verdict"] == "healthy" and doc["steps"] == [] and doc["forbidden"] == []
    assert doc["blocked"] is False and doc["preconditions"] == []
    rc, out = await xentui_plan(sim, capsys)
    assert "HEALTHY" in out and "Steps: none." in out


@pytest.mark.parametrize("scenario", ["master-shutdown", "master-cable-pulled"])
async def test_plan_json_master_lost(sim_factory: Any, capsys: pytest.CaptureFixture[str], scenario: str) -> None:
    sim = await sim_factory(scenario=scenario)
    rc, out = await xentui_plan(sim, capsys, "--json")
    doc = json.loads(out)
    assert doc["verdict"] == "master-lost" and doc["kind"] == "promote-and-recover"
    assert doc["blocked"] is False, doc["blocked_reason"]
    cand = doc["steps"][0]["host"]
    assert cand != "plot1"
    assert [(s["host"], s["command"]) for s in doc["steps"]] == [(cand, PROMOTE), (cand, RECOVER)]
    assert all(s["why"] and s["verify"] for s in doc["steps"])
    checks = {c["name"]: c for c in doc["preconditions"]}
    assert checks["master unreachable from the jump box"]["ok"]
    assert checks["master unreachable from the slaves"]["ok"]
    assert checks["HA not armed"]["ok"] and checks["HA not armed"]["warning"]  # stranded slaves cannot read it
    assert ("plot1", "host-forget") in forbidden(doc)
    assert (None, "pool-designate-new-master") in forbidden(doc)
    # nothing changed on the pool
    assert sim.pool.host(cand).pool_conf == f"slave:{sim.pool.host('plot1').address}"


async def test_plan_json_split_brain(sim_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = await sim_factory(scenario="split-brain")
    rc, out = await xentui_plan(sim, capsys, "--json")
    doc = json.loads(out)
    assert doc["verdict"] == "split-brain" and doc["kind"] == "heal-split-brain"
    assert [(s["host"], s["command"]) for s in doc["steps"]] == [("plot2", RECOVER)]
    assert ("plot1", "pool-recover-slaves") in forbidden(doc)
    why = next(f["why"] for f in doc["forbidden"] if f["host"] == "plot1" and "recover" in f["command"])
    assert "database" in why
    (c,) = doc["contingency"]
    assert c["host"] == "plot1"
    assert c["command"] == f"{XE} pool-emergency-reset-master master-address={sim.pool.host('plot2').address}"
    assert sim.pool.host("plot1").pool_conf == "master"  # nothing run
    rc, out = await xentui_plan(sim, capsys)
    assert "1. on plot2: " + RECOVER in out and "Do NOT: " + RECOVER + " on plot1" in out


async def test_plan_json_host_offline(sim_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sim = await sim_factory(scenario="host-offline")
    rc, out = await xentui_plan(sim, capsys, "--json")
    doc = json.loads(out)
    assert doc["verdict"] == "degraded" and doc["steps"] == []
    assert any("plot7" in n for n in doc["notes"])
    assert ("plot7", "host-forget") in forbidden(doc)
    why = next(f["why"] for f in doc["forbidden"] if f["host"] == "plot7")
    assert "orphans" in why
    assert (None, "pool-designate-new-master") in forbidden(doc)
