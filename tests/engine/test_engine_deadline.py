"""A probe that ends at the verdict's speed: `xentui check --deadline` (engine/deadline.py), over real SSH."""

from __future__ import annotations

import asyncio
import os
import time

from xentui.cli import main as cli
from xentui.diagnosis import Diagnosis, Verdict
from xentui.engine.deadline import missing_calls, settled
from xentui.core.model import HostFacts, Role, SshState

T0 = 1000.0


def facts(name: str, ssh: SshState = SshState.UP, role: Role | None = Role.SLAVE, learned=(), at: float = T0 + 1) -> HostFacts:
    f = HostFacts(name=name, address=name, ssh=ssh, role=role, master_address="10.0.0.1" if role is Role.SLAVE else None)
    for key in learned:
        f.learned(key, "test", at=at)
    return f


def test_missing_calls_names_what_has_not_answered() -> None:
    assert missing_calls(facts("a", SshState.UNKNOWN), T0) == ["SSH connect"]
    assert missing_calls(facts("a", SshState.NO_ANSWER), T0) == []  # a failed connect is an answer
    f = facts("a", learned=("files", "xapi"))
    assert missing_calls(f, T0) == ["TCP check of the master", "xe host-is-in-emergency-mode", "xe pool-list"]
    assert missing_calls(f, T0, ("files", "xapi", "reaches_master")) == ["TCP check of the master"]
    master = facts("m", role=Role.MASTER, learned=("files", "xapi", "emergency_mode", "pool_list"))
    assert missing_calls(master, T0) == []  # a master checks no master
    old = facts("a", learned=("files", "xapi", "reaches_master"), at=T0 - 5)  # an earlier probe's answers
    assert missing_calls(old, T0, ("files", "xapi", "reaches_master")) == ["file read", "XenAPI login", "TCP check of the master"]


def test_settled_only_for_master_lost_or_split_brain_with_every_fast_signal_in() -> None:
    fast = ("files", "xapi", "reaches_master")
    hosts = [facts("m", SshState.UNKNOWN, role=None), facts("a", learned=fast), facts("b", learned=fast)]
    lost, healthy = Diagnosis(pool="p", verdict=Verdict.MASTER_LOST, summary=""), Diagnosis(pool="p", verdict=Verdict.HEALTHY, summary="")
    assert settled(lost, hosts, T0)  # the master's connect still running does not hold it
    assert not settled(healthy, hosts, T0)
    hosts[2] = facts("b", learned=("files", "xapi"))  # b's own check of the master not in yet
    assert not settled(lost, hosts, T0)


async def check(sim, *argv: str) -> tuple[int, str, float]:
    args = ["check", "--config", str(sim.dir / "pools.toml"), *argv]
    started = time.monotonic()
    rc = await asyncio.to_thread(cli.main, args)
    return rc, "", time.monotonic() - started


async def test_check_says_master_lost_before_the_slow_answers(sim_factory, capsys) -> None:
    sim = await sim_factory("master-cable-pulled")
    # the master's connect (6 s) and the slaves' xe pool-list (8 s) would end long after the deadline
    rc, _, seconds = await check(sim, "--connect-timeout", "6", "--command-timeout", "8", "--reach-timeout", "1")
    out = capsys.readouterr().out
    assert rc == 2, out
    assert out.startswith("XENTUI CRITICAL - pool sim master-lost"), out
    assert "plot1: no answer yet after" in out and "SSH connect" in out
    assert seconds < 5.0 + 3.0  # generous: the default 5 s deadline, whatever the load


async def test_check_honours_the_deadline_when_a_toolstack_hangs(sim_factory, capsys) -> None:
    sim = await sim_factory("healthy")
    await sim.fault("hang-xapi", "plot3")
    rc, _, seconds = await check(sim, "--deadline", "2", "--command-timeout", "20")
    out = capsys.readouterr().out
    assert seconds < 2.0 + 4.0, out  # generous bound; without the deadline it takes the 20 s command timeout
    assert "plot3: no answer yet after" in out and "xe pool-list" in out, out
    assert rc in (0, 1, 3), out


async def test_a_connect_cut_at_the_deadline_is_no_answer_not_not_probed_yet(sim_factory, capsys) -> None:
    # plot8's connect would run 6 s: at the 1.5 s deadline nothing has answered, and that is what
    # the check reports (WARNING, degraded), not "nothing known of plot8 yet" (UNKNOWN)
    sim = await sim_factory("healthy")
    await sim.fault("cable-pull", "plot8")
    rc, _, seconds = await check(sim, "--deadline", "1.5", "--connect-timeout", "6")
    out = capsys.readouterr().out
    assert rc == 1, out
    assert out.startswith("XENTUI WARNING - pool sim degraded"), out
    assert "plot8: no answer yet after" in out and "SSH connect" in out, out
    assert seconds < 1.5 + 4.0, out


async def test_check_complete_waits_for_every_answer(sim_factory, capsys) -> None:
    sim = await sim_factory("healthy")
    await sim.fault("hang-xapi", "plot3")
    rc, _, seconds = await check(sim, "--deadline", "1", "--complete", "--command-timeout", "3")
    out = capsys.readouterr().out
    assert seconds >= 3.0, out
    assert "no answer yet" not in out, out


async def test_a_burst_of_updates_is_diagnosed_once_not_per_update(sim_factory) -> None:
    """probe_within diagnoses the pool once per burst of fact updates (engine/deadline.py JUDGE_AFTER_S);
    per update, diagnose_pool was most of a 64-host check's CPU. The last diagnosis still sees every answer."""
    from xentui.engine.deadline import probe_within

    from helpers.engines import engine_for

    sim = await sim_factory("healthy")
    engine = engine_for(sim)
    updates: list[str] = []
    engine.listeners.append(lambda f: updates.append(f.name))
    seen: list[Diagnosis] = []
    try:
        r = await probe_within(engine, None, seen.append)
    finally:
        await engine.stop()
    assert r.diagnosis.verdict is Verdict.HEALTHY
    assert len(updates) >= 8 * 5  # each host publishes at every signal
    assert 1 <= len(seen) <= len(updates) // 3, (len(seen), len(updates))


async def test_check_as_its_own_process_prints_everything_and_ends(sim_factory) -> None:
    """`xentui check` run as a process (the console script's `run`): it skips the interpreter's teardown,
    so what it printed must all be there, with its exit status; a reader that leaves early is no error."""
    import sys

    sim = await sim_factory("host-offline")
    argv = [sys.executable, "-m", "xentui", "check", "--config", str(sim.dir / "pools.toml"),
            "--connect-timeout", "2", "--command-timeout", "3"]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 1, (text, err.decode())
    assert text.startswith("XENTUI WARNING - pool sim "), text
    assert "| hosts_up=7;;;0;8 hosts_total=8" in text.splitlines()[0], text
    assert err == b"", err.decode()

    # `xentui status | head -1` where head has gone before the table comes: no traceback, the shell's 141
    r, w = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        *argv[:3], "status", *argv[4:], stdout=w, stderr=asyncio.subprocess.PIPE)
    os.close(w)
    os.close(r)  # the reader leaves before anything is written
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 141, err.decode()
    assert b"Traceback" not in err, err.decode()
