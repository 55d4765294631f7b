"""A probe that ends at the verdict's speed: `xentui check --deadline` (engine/deadline.py), over real SSH."""

from __future__ import annotations

import asyncio
import time

from xentui import cli
from xentui.diagnosis import Diagnosis, Verdict
from xentui.engine.deadline import missing_calls, settled
from xentui.model import HostFacts, Role, SshState

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


async def test_check_complete_waits_for_every_answer(sim_factory, capsys) -> None:
    sim = await sim_factory("healthy")
    await sim.fault("hang-xapi", "plot3")
    rc, _, seconds = await check(sim, "--deadline", "1", "--complete", "--command-timeout", "3")
    out = capsys.readouterr().out
    assert seconds >= 3.0, out
    assert "no answer yet" not in out, out
