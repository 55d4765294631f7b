"""The pool's lease: its records and commands (pure), and PoolLease over real SSH against the simulator."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.engines import engine_for
from helpers.sim import run_on
from xentui.actions.lease import LeaseRecord, LeaseRefused, LeaseState, PoolLease, parse_listing, read_pool_lease
from xentui.actions.lease.record import (
    LEASE_DIR,
    read_command,
    release_command,
    take_command,
    take_over_command,
    validate_token,
)
from xentui.trail.audit import AuditLog
from xensim.server import Simulator

TOKEN = "0123456789abcdef0123456789abcdef"


def record(token: str = TOKEN, plan: str = "Promote plot2", ttl: float = 60.0, now: float | None = None,
           **kw: object) -> LeaseRecord:
    now = time.time() if now is None else now
    return LeaseRecord(**{"token": token, "operator": "alice", "jump_box": "jump1", "plan": plan,
                          "started": now, "expires": now + ttl, **kw})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("stdout", "state"),
    [
        ("free\n", LeaseState.FREE),
        ("free\r\n", LeaseState.FREE),
        ("", LeaseState.TAKING),  # the directory, nothing in it
        (f"== holder.{TOKEN}\n\n", LeaseState.UNREADABLE),  # written this instant, empty
        (f"== holder.{TOKEN}\n{{\"token\": 1\n\n", LeaseState.UNREADABLE),
        (f"== holder.{TOKEN}\n{record(token='f' * 32, now=1.8e9).line()}\n\n", LeaseState.UNREADABLE),  # names another token
        (f"== holder.{TOKEN}\n{record(now=1.8e9).line()}\n\n", LeaseState.HELD),
        (f"== junk\nx\n\n== holder.{TOKEN}\n{record(now=1.8e9).line()}\n\n", LeaseState.HELD),
        ("== junk\nx\n\n", LeaseState.TAKING),
    ],
)
def test_parse_listing(stdout: str, state: LeaseState) -> None:
    assert parse_listing("plot1", stdout, 0.0).state is state


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=60))
def test_any_record_survives_the_listing(operator: str, box: str, plan: str) -> None:
    rec = record(operator=operator, jump_box=box, plan=plan)
    got = parse_listing("h", f"== holder.{TOKEN}\n{rec.line()}\n\n", 1.0)
    assert got.record == rec and got.token == TOKEN


@pytest.mark.parametrize("bad", ["", "x" * 32, TOKEN.upper(), TOKEN + "0", "../" + TOKEN[3:], f"{TOKEN[:31]};"])
def test_tokens_are_validated(bad: str) -> None:
    with pytest.raises(ValueError):
        validate_token(bad)
    with pytest.raises(ValueError):
        release_command(bad)


def test_commands_quote_the_record() -> None:
    rec = record(plan="it's $(reboot) `now`")
    cmd = take_command(rec)
    assert cmd.startswith(f"mkdir -p /run/xentui && mkdir {LEASE_DIR} && printf ")
    assert "'\"'\"'" in cmd  # the quote inside the plan title, shlex-quoted
    assert take_over_command(TOKEN, rec).startswith(f"rm {LEASE_DIR}/holder.{TOKEN} && rmdir {LEASE_DIR} && mkdir")
    assert take_over_command(None, rec).startswith(f"rmdir {LEASE_DIR} && mkdir")


# --------------------------------------------------------------------------- against the simulator


async def listing(sim: Simulator, host: str) -> LeaseState:
    r = await run_on(sim, host, read_command())
    return parse_listing(host, str(r.stdout), time.time()).state


async def test_the_commands_on_a_dom0_shell(sim: Simulator) -> None:
    """What record.py's docstring claims, on the simulated dom0 shell."""
    rec = record()
    assert await listing(sim, "plot1") is LeaseState.FREE
    assert (await run_on(sim, "plot1", take_command(rec))).exit_status == 0
    again = await run_on(sim, "plot1", take_command(record(token="a" * 32)))
    assert again.exit_status == 1 and "File exists" in str(again.stderr)
    r = await run_on(sim, "plot1", read_command())
    assert parse_listing("plot1", str(r.stdout), 0).record == rec
    # a takeover naming a holder that is not there any more removes nothing
    wrong = await run_on(sim, "plot1", take_over_command("b" * 32, record(token="c" * 32)))
    assert wrong.exit_status == 1 and await listing(sim, "plot1") is LeaseState.HELD
    assert (await run_on(sim, "plot1", take_over_command(TOKEN, record(token="c" * 32)))).exit_status == 0
    # releasing the old token now fails and leaves the new holder
    assert (await run_on(sim, "plot1", release_command(TOKEN))).exit_status == 1
    assert await listing(sim, "plot1") is LeaseState.HELD
    assert (await run_on(sim, "plot1", release_command("c" * 32))).exit_status == 0
    assert await listing(sim, "plot1") is LeaseState.FREE


async def test_acquire_keep_release(sim: Simulator, tmp_path: Path) -> None:
    eng = engine_for(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        await eng.probe_once()
        mine = PoolLease(eng, audit, ttl=1.5, operator="alice", jump_box="jump1")
        rec = await mine.acquire("Promote plot2", ["plot2"])
        assert mine.held == [f"plot{i}" for i in range(1, 9)]
        view = await read_pool_lease(eng)
        assert {h.token for h in view.hosts.values()} == {rec.token}
        assert view.summary(mine=rec.token) is None
        assert "LEASE held by alice@jump1 (plan 'Promote plot2', since" in (view.summary() or "")
        # a second client is refused, and told who holds it
        other = PoolLease(eng, audit, ttl=1.5, operator="bob", jump_box="jump2")
        with pytest.raises(LeaseRefused, match=r"held by alice@jump1 \(plan 'Promote plot2'") as e:
            await other.acquire("Promote plot3", ["plot3"])
        assert e.value.holder is not None and e.value.holder.token == rec.token
        assert other.held == []
        # kept past its ttl: still live
        mine.keep()
        await asyncio.sleep(2.5)
        view = await read_pool_lease(eng)
        assert all(h.record is not None and not h.record.stale(view.now) for h in view.hosts.values())
        assert mine.lost is None
        await mine.release()
        view = await read_pool_lease(eng)
        assert {h.state for h in view.hosts.values()} == {LeaseState.FREE}
        assert audit.read() == []  # taking a free lease and giving it back are routine
    finally:
        await eng.stop()


async def test_stale_is_taken_live_needs_a_typed_yes(sim: Simulator, tmp_path: Path) -> None:
    eng = engine_for(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        await eng.probe_once()
        first = PoolLease(eng, audit, ttl=0.5, operator="alice", jump_box="jump1")
        old = await first.acquire("Promote plot2", ["plot2"])  # never renewed, never released: a crash
        await asyncio.sleep(0.7)
        second = PoolLease(eng, audit, ttl=30, operator="bob", jump_box="jump2")
        new = await second.acquire("Promote plot3", ["plot3"])
        assert len(second.held) == 8
        took = [r for r in audit.read() if r.outcome == "take-over"]
        assert len(took) == 8 and all("stale lease taken" in (r.detail or "") and old.token in (r.detail or "") for r in took)
        # the crashed client's release cannot remove bob's lease
        await first.release()
        assert {h.token for h in (await read_pool_lease(eng)).hosts.values()} == {new.token}
        # a live lease: refused unless the typed confirmation says yes (asked once, not per host)
        third = PoolLease(eng, audit, ttl=30, operator="carol", jump_box="jump3")
        asked: list[str] = []
        with pytest.raises(LeaseRefused, match="bob@jump2"):
            await third.acquire("Heal", ["plot1"], take_over=lambda r: asked.append(r.operator) or False)
        assert asked == ["bob"]
        got = await third.acquire("Heal", ["plot1"], take_over=lambda r: asked.append(r.operator) or True)
        assert asked == ["bob", "bob"] and len(third.held) == 8
        live = [r for r in audit.read() if "typed confirmation" in (r.detail or "")]
        assert len(live) == 8 and all("bob@jump2" in (r.command + (r.detail or "")) for r in live)
        # bob's renewal now finds it gone: his lease is lost (his runner stops before its next step)
        await second.renew()
        assert second.lost is not None and "no longer ours" in second.lost
        assert {h.token for h in (await read_pool_lease(eng)).hosts.values()} == {got.token}
        await third.release()
    finally:
        await eng.stop()


async def test_an_abandoned_directory_is_taken_after_the_grace(sim: Simulator, tmp_path: Path) -> None:
    for i in range(1, 9):
        assert (await run_on(sim, f"plot{i}", f"mkdir -p {LEASE_DIR}")).exit_status == 0
    eng = engine_for(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        await eng.probe_once()
        lease = PoolLease(eng, audit, ttl=30, grace=0.1)
        await lease.acquire("Promote plot2", ["plot2"])
        assert len(lease.held) == 8
        assert [r.command for r in audit.read()] == ["lease: take abandoned"] * 8
        await lease.release()
    finally:
        await eng.stop()


async def test_no_majority_no_lease(sim_factory, tmp_path: Path) -> None:
    """Held on a minority of the hosts that answer (the rest held by a stale lease that cannot be removed): refused."""
    sim = await sim_factory()
    eng = engine_for(sim)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        await eng.probe_once()
        for i in range(1, 6):  # an unreadable holder on five hosts: never taken (it may be mid-rewrite)
            r = await run_on(sim, f"plot{i}", f"mkdir -p {LEASE_DIR} && printf 'garbage\\n' > {LEASE_DIR}/holder.{TOKEN}")
            assert r.exit_status == 0
        lease = PoolLease(eng, audit, ttl=30, grace=0.05)
        with pytest.raises(LeaseRefused, match=r"held on 3 of 8 reachable hosts \(a majority is needed\); not on plot2.*not a lease record"):
            await lease.acquire("Promote plot2", ["plot2"])
        view = await read_pool_lease(eng)
        assert {h.state for n, h in view.hosts.items() if n in ("plot6", "plot7", "plot8")} == {LeaseState.FREE}
        json.dumps(view.json())
    finally:
        await eng.stop()
