"""`xentui watch --json` against the simulator, as a separate process reading real SSH (issue 15 point 5)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

from xentui.trail.journal import journal_path, read_journal


def fast_config(sim, tmp_path: Path) -> Path:
    path = tmp_path / "watch.toml"
    path.write_text(
        "[settings]\nconnect_timeout = 2.0\ncommand_timeout = 3.0\nreach_timeout = 1.0\npoll_interval = 1.0\n"
        f'audit_file = "{tmp_path / "audit.jsonl"}"\n\n' + (sim.dir / "pools.toml").read_text()
    )
    return path


async def next_event(proc: asyncio.subprocess.Process, timeout: float) -> dict:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    assert line, "watch ended"
    return json.loads(line)  # every line is one JSON object


async def test_watch_json_emits_master_lost_within_3_5_s_of_the_cable_pull(sim_factory, tmp_path: Path):
    sim = await sim_factory("healthy")
    cfg = fast_config(sim, tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xentui", "--config", str(cfg), "watch", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        events = []
        while not any(e["event"] == "verdict" and e["verdict"] == "healthy" for e in events):
            events.append(await next_event(proc, deadline - time.monotonic()))
        await asyncio.sleep(1.5)  # a few quiet polls: nothing changes, nothing is printed but host views
        await sim.fault("cable-pull", "plot1")
        pulled = time.monotonic()
        while True:
            e = await next_event(proc, 3.5 - (time.monotonic() - pulled))
            if e["event"] == "verdict":
                assert e["verdict"] in ("unknown", "master-lost"), e  # never "plot1 answers"
                if e["verdict"] == "master-lost":
                    break
        took = time.monotonic() - pulled
        assert took <= 3.5, took
        assert e["pool"] == "sim" and e["masters"] == ["plot1"] and e["next"]["action"] == "promote"
        slaves = {name: f for name, f in e["facts"].items() if name != "plot1"}
        assert e["facts"]["plot1"]["ssh"] in ("silent", "no-answer") and any(f["reaches_master"] is False for f in slaves.values())
        assert e["at"].endswith("Z")
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 15)
    # the same events went to the pool's journal beside the audit file
    journal = read_journal(journal_path(tmp_path / "audit.jsonl", "sim"))
    verdicts = [e["verdict"] for e in journal if e["event"] == "verdict"]
    assert verdicts[0] in ("unknown", "healthy") and "master-lost" in verdicts, [(e["verdict"], e["summary"]) for e in journal if e["event"] == "verdict"][:3]
