"""`xentui onboard --check HOST [--json]` as a process against the simulator (scenario `onboarding`).

plot9 is a fresh standalone host of the pool's release: it has its default SRs (local storage
and the guest-tools ISO SR, shared and SR.is_tools_sr, as xapi's dbsync_master makes it) and
lacks XS82ECU1003 1.1. The command runs the same checks as the console and changes nothing.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys

from xensim.server import Simulator
from xensim.state import SRRec


async def onboard_check(sim: Simulator, host: str, *extra: str) -> tuple[int, str]:
    """Run the real command line in a child process while this loop serves the simulator."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "xentui", "--config", str(sim.dir / "pools.toml"), "onboard",
        "--connect-timeout", "3", "--command-timeout", "4", "--check", host, *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env={**os.environ},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def _level(sim: Simulator) -> None:
    """plot9 gets the pool's missing update applied (as update-apply would record it)."""
    plot9, plot1 = sim.pool.host("plot9"), sim.pool.host("plot1")
    for uuid, rec in plot1.db.updates.items():
        if uuid not in plot9.db.updates:
            mine = copy.deepcopy(rec)
            mine.hosts = [plot9.uuid]
            plot9.db.updates[uuid] = mine


async def test_a_host_missing_one_update_exits_1_naming_it_and_its_file(sim_factory) -> None:
    sim = await sim_factory(scenario="onboarding")
    before = sorted(sim.received)
    code, out = await onboard_check(sim, "plot9")
    assert code == 1, out
    needs = [ln for ln in out.splitlines() if ln.strip().startswith("needs ")]
    assert len(needs) == 1 and "XS82ECU1003 1.1" in needs[0] and "XS82ECU1003.iso" in needs[0], out
    assert "XS82ECU1001" not in "\n".join(needs)
    assert "BLOCK updates [xapi assert_homogeneous_updates]" in out
    # The tools SR of a fresh install does not block (xapi's assert_no_shared_srs_on_me skips it).
    assert "pass  no shared SRs" in out and "verdict: blocked by updates" in out
    # what is not mirrored is said, for the master's release (xapi 1.249: no SM-features check)
    assert "not mirrored here (xapi still checks them at the join): " in out and "assert_no_bonds_on_me" in out
    assert "assert_sm_features_compatible" not in out
    assert not any("upload" in argv or "apply" in argv or "pool-join" in argv
                   for _, argv in sorted(sim.received) if (_, argv) not in before)  # nothing changed

    code, out = await onboard_check(sim, "plot9", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "blocked" and doc["exit_status"] == 1
    assert [(u["name_label"], u["version"]) for u in doc["missing_updates"]] == [("XS82ECU1003", "1.1")]
    assert doc["missing_updates"][0]["file"].startswith("XS82ECU1003.iso")


async def test_a_level_fresh_host_exits_0_and_a_shared_nfs_sr_blocks_it(sim_factory) -> None:
    sim = await sim_factory(scenario="onboarding")
    _level(sim)
    srs = sim.pool.host("plot9").db.srs.values()
    assert any(sr.shared and sr.is_tools_sr and sr.name_label == "XCP-ng Tools" for sr in srs)
    code, out = await onboard_check(sim, "plot9")
    assert code == 0, out
    assert "verdict: the join may proceed" in out and "not counted: tools SR XCP-ng Tools" not in out

    nfs = "0b7f4b4e-3c7a-4f5e-9a55-3f2a0e7f3c11"
    sim.pool.host("plot9").db.srs[nfs] = SRRec(nfs, "NFS VMs", "nfs", "user", True, None)
    code, out = await onboard_check(sim, "plot9")
    assert code == 1, out
    line = next(ln for ln in out.splitlines() if "no shared SRs" in ln)
    assert "BLOCK" in line and "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS" in line and "NFS VMs" in line
    assert "sr-forget" in line  # the fix
    assert "XCP-ng Tools (" not in line  # the tools SR is still not counted


async def test_an_unreadable_host_exits_3_with_one_line_of_cause(sim_factory) -> None:
    sim = await sim_factory(scenario="onboarding")
    sim.pool.host("plot9").xapi_hung = True  # its toolstack accepts and never answers
    code, out = await onboard_check(sim, "plot9")
    assert code == 3, out
    causes = [ln for ln in out.splitlines() if ln.startswith("facts missing: ")]
    # one cause (the toolstack does not answer), one line naming every command it stopped
    assert len(causes) == 1 and causes[0].startswith("facts missing: plot9: xe host-list params=all, xe pool-list"), out
    assert "BLOCK" not in out and "not checked (facts missing)" in out

    code, out = await onboard_check(sim, "nosuchhost.invalid")
    assert code == 3, out
    assert [ln for ln in out.splitlines() if ln.startswith("facts missing: ")] == [
        next(ln for ln in out.splitlines() if ln.startswith("facts missing: nosuchhost.invalid: ssh: "))]
