"""`xentui plan --json` then `xentui apply PLANFILE`, as separate processes over real SSH to the simulator.

The race (two applies, two different promotions, one lease), the crash (a client
killed mid-plan leaves a lease held, then stale, then taken), the stale plan
(saved while the master was lost, refused after the pool healed), read-only.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from helpers.engines import engine_for
from helpers.sim import run_on
from xentui.actions import plan_report
from xentui.actions.recover import plan_promote_and_recover
from xentui.actions.fingerprint import saved_plan
from xentui.cli.apply import EXIT
from xentui.trail.audit import AuditLog
from xensim.server import Simulator


def config_file(sim: Simulator, tmp_path: Path, **extra: Any) -> Path:
    # generous timeouts: a host that misses one under a loaded CI machine changes the plan's fingerprint
    settings = {"connect_timeout": 4.0, "command_timeout": 8.0, "reach_timeout": 1.0, "poll_interval": 1.0,
                "toolstack_fuse": 1.0, "lease_ttl": 6.0, **extra}
    lines = ["[settings]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    lines.append(f'audit_file = "{tmp_path / "audit.jsonl"}"')
    path = tmp_path / "pools.toml"
    path.write_text("\n".join(lines) + "\n\n" + (sim.dir / "pools.toml").read_text())
    return path


async def xentui(cfg: Path, *args: str, stdin: bytes | None = None, timeout: float = 60.0) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xentui", "--config", str(cfg), *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def save_plan(cfg: Path, path: Path) -> dict[str, Any]:
    rc, out, err = await xentui(cfg, "plan", "--json")
    assert rc == 0, err
    path.write_text(out)
    return json.loads(out)


async def plan_for(sim: Simulator, candidate: str, path: Path) -> None:
    """A promote plan for `candidate` (not the proposed one), saved as `plan --json` saves it."""
    eng = engine_for(sim)
    try:
        d = await eng.probe_once()
        plan = plan_promote_and_recover(eng.facts, d, candidate=candidate)
        assert not plan.blocked, plan.blocked_reason
        path.write_text(json.dumps(saved_plan(plan_report(plan), plan.model_dump(mode="json"), eng.facts, d, time.time())))
    finally:
        await eng.stop()


def masters_powered(sim: Simulator) -> list[str]:
    return sorted(h.name for h in sim.pool.hosts.values()
                  if h.powered and h.read("/etc/xensource/pool.conf").decode().strip() == "master")


async def test_two_applies_race_one_runs_the_other_names_the_holder(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.5)
    cfg = config_file(sim, tmp_path)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    saved = await save_plan(cfg, a)
    assert saved["kind"] == "promote-and-recover" and saved["steps"][0]["host"] == "plot2"
    await plan_for(sim, "plot3", b)
    (rc1, out1, err1), (rc2, out2, err2) = await asyncio.gather(
        xentui(cfg, "apply", "--yes", str(a)), xentui(cfg, "apply", "--yes", str(b)))
    runs = sorted([(rc1, out1, err1), (rc2, out2, err2)], key=lambda r: r[0])
    (ok_rc, ok_out, ok_err), (no_rc, no_out, no_err) = runs
    assert ok_rc == 0, ok_out + ok_err
    assert no_rc == EXIT["lease"], no_out + no_err
    login = AuditLog(tmp_path / "audit.jsonl").read()[0].actor
    assert f"refused: {login}@" in no_err and "(plan 'Promote plot" in no_err
    assert "lease: the pool's lease is held by" in no_out
    # no split brain: one master among the hosts that run, and every one follows it
    assert len(masters_powered(sim)) == 1
    winner = masters_powered(sim)[0]
    for h in sim.pool.hosts.values():
        if h.powered and h.name != winner:
            assert h.read("/etc/xensource/pool.conf").decode().strip() == f"slave:{sim.pool.host(winner).address}"
    # the loser sent nothing that changes a host; the lease is gone from every host
    promotes = [h for h, argv in sim.received if argv[0].endswith("xe") and "pool-emergency-transition-to-master" in argv]
    assert promotes == [winner]
    for i in range(2, 9):
        assert not sim.pool.host(f"plot{i}").path("/run/xentui/lease").exists()


async def test_a_killed_client_leaves_a_lease_held_then_stale_then_taken(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=4.0)
    cfg = config_file(sim, tmp_path, lease_ttl=15.0)
    plan = tmp_path / "p.json"
    await save_plan(cfg, plan)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xentui", "--config", str(cfg), "apply", "--yes", str(plan),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    while True:  # mid-plan: the promotion was sent, its toolstack restart is being waited out
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line, "apply ended before running its first step"
        if line.startswith("[1/2] running:"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    killed = time.time()
    await proc.wait()
    rc, out, _ = await xentui(cfg, "status", "--json", "--deadline", "4")  # bounded: the lease is read in time
    lease = json.loads(out)["lease"]
    assert lease["read"] and len(lease["holders"]) == 1
    held = lease["holders"][0]
    assert held["stale"] is False and held["pid"] == proc.pid and held["plan"].startswith("Promote plot2")
    assert set(held["hosts"]) >= {"plot2", "plot3"}
    rc, text, _ = await xentui(cfg, "status", "--deadline", "4")
    assert f"LEASE: held by {held['operator']}@{held['jump_box']} (plan 'Promote plot2" in text
    await asyncio.sleep(max(0.0, held["expires"] - time.time()) + 0.2)
    rc, text, _ = await xentui(cfg, "status")
    assert "STALE LEASE: held by" in text and "stale, may be taken" in text
    assert time.time() - killed >= 14.5
    # a new plan from the pool as it is now, applied: the stale lease is taken (audited), the plan runs
    await save_plan(cfg, plan)
    rc, out, err = await xentui(cfg, "apply", "--yes", str(plan))
    assert rc in (EXIT["done"], EXIT["incomplete"]), out + err
    assert "lease" not in err
    took = [r for r in AuditLog(tmp_path / "audit.jsonl").read() if r.outcome == "take-over"]
    assert took and all("stale lease taken" in (r.detail or "") for r in took)
    rc, out, _ = await xentui(cfg, "status", "--json")
    assert json.loads(out)["lease"]["holders"] == []


async def test_a_plan_saved_while_the_master_was_lost_is_refused_after_the_pool_healed(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-cable-pulled")
    cfg = config_file(sim, tmp_path)
    plan = tmp_path / "p.json"
    saved = await save_plan(cfg, plan)
    assert saved["verdict"] == "master-lost"
    await sim.fault("cable-restore", "plot1")
    rc, out, err = await xentui(cfg, "status", "--json")
    for _ in range(20):
        if json.loads(out)["verdict"] == "healthy":
            break
        await asyncio.sleep(0.5)
        rc, out, err = await xentui(cfg, "status", "--json")
    assert json.loads(out)["verdict"] == "healthy"
    rc, out, err = await xentui(cfg, "apply", "--yes", str(plan))
    assert rc == EXIT["stale"], out + err
    assert "the pool changed since the plan was made" in out
    assert "verdict: was master-lost, now healthy" in out
    assert "plot1: reachable from here was no, now yes" in out
    assert not any("pool-emergency-transition-to-master" in argv for _h, argv in sim.received)
    assert not sim.pool.host("plot2").path("/run/xentui/lease").exists()


async def test_read_only_apply_refuses_and_says_why(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-shutdown")
    cfg = config_file(sim, tmp_path)
    plan = tmp_path / "p.json"
    await save_plan(cfg, plan)
    rc, out, err = await xentui(cfg, "--read-only", "apply", "--yes", str(plan))
    assert rc == EXIT["read-only"] and "refused: read-only (--read-only)" in err
    rc, out, err = await xentui(cfg, "apply", "--read-only", "--yes", str(plan))
    assert rc == EXIT["read-only"]
    ro = config_file(sim, tmp_path, read_only=True)
    rc, out, err = await xentui(ro, "apply", "--yes", str(plan))
    assert rc == EXIT["read-only"] and "read_only = true in [settings]" in err
    assert not any("pool-emergency-transition-to-master" in argv for _h, argv in sim.received)


async def test_typed_host_name_bad_file_and_dry_run(sim_factory, tmp_path: Path) -> None:
    sim = await sim_factory(scenario="master-shutdown", fuse=0.5)
    cfg = config_file(sim, tmp_path)
    plan = tmp_path / "p.json"
    await save_plan(cfg, plan)
    (tmp_path / "bad.json").write_text('{"steps": []}')
    rc, out, err = await xentui(cfg, "apply", str(tmp_path / "bad.json"))
    assert rc == EXIT["bad-input"] and "not a plan saved by `xentui plan --json`" in err
    rc, out, err = await xentui(cfg, "apply", "--dry-run", str(plan))
    assert rc == EXIT["done"] and "(dry run)" in out, out + err
    rc, out, err = await xentui(cfg, "apply", str(plan), stdin=b"plot3\n")  # the wrong host typed: declined
    assert rc == EXIT["incomplete"] and "[declined]" in out and "Type plot2 to run it" in err, out + err
    assert not any("pool-emergency-transition-to-master" in argv for _h, argv in sim.received)
    rc, out, err = await xentui(cfg, "apply", str(plan), stdin=b"plot2\nplot2\n")
    assert rc == EXIT["done"], out + err
    assert masters_powered(sim) == ["plot2"]
    r = await run_on(sim, "plot3", "cat /etc/xensource/pool.conf")
    assert str(r.stdout).strip() == f"slave:{sim.pool.host('plot2').address}"
