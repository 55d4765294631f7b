"""`xentui plan --json` with BMCs and VMs: the fence step before promote, then the stranded-VM plan
with its refusal (not fenced) or its steps (fenced), over real SSH and HTTP to the simulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from helpers.engines import engine_for
from helpers.settings import ENGINE_FAST
from xentui.actions import PlanRunner, StepAction
from xentui.actions.power import plan_power
from xentui.cli.main import main
from xentui.trail.audit import AuditLog
from xensim.scenarios import stable_uuid
from xensim.server import Simulator

VMS = (("web1", "plot1", ""), ("db1", "plot1", ""), ("mail1", "plot1", "restart"))


async def plan_json(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    argv = ["plan", "--json", "--config", str(sim.dir / "pools.toml"), "--connect-timeout", "2",
            "--command-timeout", "2", "--reach-timeout", "1"]
    rc = await asyncio.to_thread(main, argv)
    assert rc == 0
    return json.loads(capsys.readouterr().out)


async def test_plan_json_fence_first_then_stranded_vms_refused_then_planned(sim_factory, capsys, tmp_path):
    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS)
    doc = await plan_json(sim, capsys)  # the jump box watched the healthy pool
    assert doc["verdict"] == "healthy" and doc["stranded_vms"] == []
    await sim.fault("cable-pull", "plot1")
    doc = await plan_json(sim, capsys)
    assert doc["verdict"] == "master-lost"
    first = doc["steps"][0]
    assert first["host"] == "plot1" and "ResetType=ForceOff" in first["command"] and "recommended" in first["why"]
    assert [s["command"].rsplit(" ", 1)[-1] for s in doc["steps"][1:]] == [
        "pool-emergency-transition-to-master", "pool-recover-slaves"]
    assert [p["read_error"] for p in doc["stranded_vms"]] == [
        "no reachable master the pool follows: the VMs are read after the promotion and recovery"]
    # promote and recover WITHOUT the fence (the admin ran only those two steps by hand)
    engine = engine_for(sim, **ENGINE_FAST, toolstack_fuse=0.3)
    try:
        await engine.probe_once()
        from xentui.actions import propose_plan

        plan = propose_plan(engine.facts, engine.diagnose())
        unfenced = plan.model_copy(update={"steps": plan.steps[1:]})
        report = await PlanRunner(engine, AuditLog(tmp_path / "a.jsonl"), lambda s: True, fuse=0.3,
                                  settle_timeout=15, poll_interval=0.2).run(unfenced)
        assert report.complete, report.text()
    finally:
        await engine.stop()
    doc = await plan_json(sim, capsys)
    (vm_plan,) = doc["stranded_vms"]
    assert vm_plan["lost_host"] == "plot1" and vm_plan["master"] == "plot2"
    assert sorted(v["name"] for v in vm_plan["vms"]) == ["db1", "mail1", "web1"]
    assert {v["name"]: v["ha_restart_priority"] for v in vm_plan["vms"]}["mail1"] == "restart"
    assert vm_plan["blocked"] is True and "plot1 is not fenced: its BMC" in vm_plan["blocked_reason"]
    assert "says On" in vm_plan["blocked_reason"]
    assert len(vm_plan["steps"]) == 6  # shown, refused as a whole
    assert sim.pool.ledger.where(stable_uuid("vm", "web1")) == {"plot1"}
    # fence now, through the BMC: the same plan has its steps, no refusal
    engine = engine_for(sim, **ENGINE_FAST, power_settle_timeout=3.0, power_poll_interval=0.1)
    try:
        await engine.probe_once()
        report = await PlanRunner(engine, AuditLog(tmp_path / "a.jsonl"), lambda s: True).run(
            plan_power("plot1", StepAction.POWER_OFF, engine.facts))
        assert report.complete, report.text()
    finally:
        await engine.stop()
    doc = await plan_json(sim, capsys)
    (vm_plan,) = doc["stranded_vms"]
    assert vm_plan["blocked"] is False, vm_plan["blocked_reason"]
    assert "plot1 is fenced: its BMC" in vm_plan["gate"]
    commands = [s["command"] for s in vm_plan["steps"]]
    web1 = stable_uuid("vm", "web1")
    assert f"/opt/xensource/bin/xe vm-reset-powerstate uuid={web1} --force" in commands
    assert f"/opt/xensource/bin/xe vm-start uuid={web1}" in commands


async def xentui_power(sim: Simulator, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = await asyncio.to_thread(main, ["power", *argv, "--config", str(sim.dir / "pools.toml"),
                                        "--connect-timeout", "2", "--command-timeout", "2", "--reach-timeout", "1"])
    return rc, capsys.readouterr().out


async def test_power_cli_status_off_on_and_a_refused_vm_reset(sim_factory, capsys, monkeypatch):
    sim = await sim_factory("healthy", hosts=3, bmc=True, vms=VMS)
    await sim.fault("bmc-unreachable", "plot3")
    rc, out = await xentui_power(sim, capsys, "status")
    assert rc == 0
    assert "plot1      On" in out and "plot3      unknown" in out and "plot3: BMC http://127.0.0.1:" in out
    await sim.fault("bmc-reachable", "plot3")
    # dry run: nothing sent to the BMC
    rc, out = await xentui_power(sim, capsys, "off", "plot3", "--dry-run")
    assert rc == 0 and "dry run" in out and sim.pool.host("plot3").powered
    rc, out = await xentui_power(sim, capsys, "off", "plot3", "--yes")
    assert rc == 0, out
    assert "the BMC reads PowerState Off" in out and not sim.pool.host("plot3").powered
    # the cable of plot1 (master) pulled: its VMs cannot be reset from here (no master reachable: refused)
    await sim.fault("cable-pull", "plot1")
    rc, out = await xentui_power(sim, capsys, "vms", "plot1", "--yes")
    assert rc == 6 and "no reachable master the pool follows" in out
    assert sim.pool.ledger.where(stable_uuid("vm", "web1")) == {"plot1"}
    # an attestation is never given by --yes: it asks for the host's name (none typed here: declined)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("\n"))
    rc, out = await xentui_power(sim, capsys, "attest", "plot1", "--yes")
    assert rc == 1 and "declined" in out
    rc, out = await xentui_power(sim, capsys, "on", "plot3", "--yes")
    assert rc == 0, out
    assert sim.pool.host("plot3").powered
    rc, out = await xentui_power(sim, capsys, "cycle", "plot2", "--yes")
    assert rc == 0, out
    assert "the BMC reads PowerState On" in out
    assert sim.pool.host("plot2").powered
    assert ("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", 204) in sim.bmcs["plot2"].requests
