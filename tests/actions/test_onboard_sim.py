"""Onboarding plot9 into the simulated pool, over real SSH (scenario `onboarding`, fuse 0.3 s).

plot9 is the master of its own 1-host pool and lacks XS82ECU1003 (1.1), which every host of
the pool has. The checks name it; a join without it is refused (HOSTS_NOT_HOMOGENEOUS, the
update named); after bring_level with a local file the checks pass and the join succeeds:
plot9's pool.conf follows plot1 and plot1's host list has plot9's UUID. The password never
appears in the audit file, in any command recorded, nor in any report.
"""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from helpers.sim import run_on
from xentui.actions.onboard import (
    HostKeyRefused,
    JoinStatus,
    blocking,
    bring_level,
    config_with_new_host,
    connect_new_host,
    gather_host_profile,
    join_pool,
    missing_updates,
    prejoin_checks,
    trust_host_key,
)
from xentui.actions.runner import PlanRunner
from xentui.actions.onboard import OnboardSteps
from xentui.trail.audit import AuditLog
from xentui.core.config import load_config
from xentui.engine.pool import PoolEngine
from xentui.core.model import CommandResult
from xentui.engine.sessions import HostTarget
from xentui.core.model import SshState

PASSWORD = "xenroot"
FAST = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0, keepalive_interval=0.5)
T = 3.0


def pool_without_plot9(sim):
    config = load_config(sim.dir / "pools.toml")
    assert "plot9" not in config.pools[0].host_names  # a standalone host is not a pool member yet
    eight = [h for h in config.pools[0].hosts if h.name != "plot9"]
    return config.upsert_pool("sim", eight)


async def test_onboarding_plot9_refused_then_levelled_then_joined(sim_factory, tmp_path: Path):
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    config = pool_without_plot9(sim)
    engine = PoolEngine(config.pool("sim"), config.settings.model_copy(update=FAST), remember=False)
    seen: list[CommandResult] = []
    target = HostTarget("plot9", "plot9", ssh_config=str(sim.dir / "ssh_config"))
    conn = await connect_new_host(target, 2.0, on_command=seen.append)
    try:
        assert conn.connected, conn.error
        plot9, master = conn.session, engine.sessions["plot1"]

        # -- profiles and checks
        new = await gather_host_profile(plot9, T)
        pool = await gather_host_profile(master, T)
        assert new.errors == [] and pool.errors == []
        assert new.uuid == sim.pool.host("plot9").uuid and new.hosts_in_pool == 1 and new.role == "master"
        assert pool.uuid == sim.pool.host("plot1").uuid and pool.hosts_in_pool == 8 and pool.is_pool_master
        assert pool.address == sim.pool.host("plot1").address
        checks = {c.name: c for c in prejoin_checks(new, pool)}
        upd = checks["updates"]
        assert upd.status is JoinStatus.BLOCK
        assert [(r.name_label, r.where, r.pool_version) for r in upd.table] == [("XS82ECU1003", "missing-on-new", "1.1")]
        assert "XS82ECU1003 1.1" in upd.advice
        assert [c.name for c in blocking(checks.values())] == ["updates"]
        assert [u.name_label for u in missing_updates(new, pool)] == ["XS82ECU1003"]

        # -- joining without the update is refused by xapi, explained, and changes nothing
        # (join_pool alone: what the console's checks never let through, to see xapi's own refusal)
        audit = AuditLog(tmp_path / "audit.jsonl")
        refused = await join_pool(plot9, pool.address, "root", PASSWORD, audit, 0.3, T, master_session=master)
        assert not refused.accepted and not refused.joined
        assert refused.error is not None and refused.error.code == "HOSTS_NOT_HOMOGENEOUS"
        assert "XS82ECU1003" in refused.error.plain and "XS82ECU1003" in refused.error.advice
        assert "XS82ECU1003" in refused.text()
        assert str((await run_on(sim, "plot9", "cat /etc/xensource/pool.conf")).stdout).strip() == "master"

        # -- bring level from a local file
        iso = sim.dir / "updates" / "XS82ECU1003.iso"  # the vendor's file, as the simulator writes it
        progress: list[tuple[str, int, int]] = []
        confirmed: list[str] = []
        runner = PlanRunner(engine, audit, confirm=lambda step: confirmed.append(step.command) or True, fuse=0.3)
        level = await bring_level(runner, plot9, [iso], new_profile=new, pool_profile=pool, timeout=T,
                                  master_session=master, on_progress=lambda *a: progress.append(a))
        assert [c.split()[1] for c in confirmed] == ["update-apply"]  # the upload only adds it to the list
        assert [(r.action.value, r.status.value) for r in level.run.results] == [
            ("update-upload", "ok"), ("update-apply", "ok")]
        assert level.failed == [] and level.applied == ["XS82ECU1003.iso"], level.steps
        assert progress and progress[-1] == ("XS82ECU1003.iso", iso.stat().st_size, iso.stat().st_size)
        whats = [s.what.split()[0] for s in level.steps]
        assert whats == ["upload", "update-upload", "update-apply", "update-list"] and all(s.ok for s in level.steps)
        assert level.outcomes == [f"XS82ECU1003.iso: uploaded as {level.steps[1].stdout.strip()}; applied — "
                                  "update-list lists it on plot9"]
        assert "file-name=/tmp/XS82ECU1003.iso" in level.steps[1].command
        assert level.steps[1].stdout.strip() in level.steps[2].command  # the printed UUID is the one applied
        assert not sim.pool.host("plot9").path("/tmp/XS82ECU1003.iso").exists()  # dom0's /tmp cleaned up
        assert level.ok and all(c.status is JoinStatus.PASS for c in level.checks), [
            (c.name, c.status, c.advice) for c in level.checks if c.status != "pass"]
        assert "XS82ECU1003 1.1" in {u.label() for u in level.new_profile.updates}
        guidance = sim.pool.host("plot1").db.updates[level.steps[1].stdout.strip()].after_apply_guidance
        assert len(level.guidance) == 1 and ", ".join(guidance) in level.guidance[0]  # the record's after-apply-guidance
        assert level.model_dump()["ok"] is True

        # -- the join, through the runner
        steps = OnboardSteps(plot9, timeout=T)
        plan = steps.join_plan(level.new_profile, level.pool_profile, level.checks, [], pool.address, "root",
                               PASSWORD, audit, master_session=master, fuse=0.3, settle_timeout=10)
        assert not plan.blocked and "force" not in plan.steps[0].command
        run = await PlanRunner(engine, audit, confirm=lambda step: True, performers=steps.performers()).run(plan)
        assert run.results[0].status.value == "ok", run.text()
        joined = steps.join_report
        assert joined.accepted and joined.error is None
        assert joined.joined and joined.model_dump()["joined"], joined.text()
        assert joined.pool_conf == f"slave:{pool.address}" and joined.emergency is False
        # Re-read independently of join_pool: plot9 follows plot1, plot1 lists plot9.
        conf = await run_on(sim, "plot9", "cat /etc/xensource/pool.conf")
        assert str(conf.stdout).strip() == f"slave:{sim.pool.host('plot1').address}"
        listed = await run_on(sim, "plot1", "/opt/xensource/bin/xe host-list params=uuid --minimal")
        assert new.uuid in str(listed.stdout).strip().split(",")

        # -- the config the UI writes
        out = config_with_new_host(config, "sim", "plot9")
        assert out.pool("sim").host_names[-1] == "plot9"
        assert out.pool("sim").ssh_config == config.pool("sim").ssh_config

        # -- the password is nowhere
        recorded = [r.command for r in seen]
        for act in engine.activity.values():
            recorded += [r.command for r in act.recent]
        assert any("pool-join" in c for c in recorded)
        for c in recorded:
            assert PASSWORD not in c, c
        assert PASSWORD not in (tmp_path / "audit.jsonl").read_text()
        assert any("pool-join" in r.command for r in audit.read())
        for rep in (refused, joined, level):
            assert PASSWORD not in rep.model_dump_json()
        assert PASSWORD not in refused.text() + joined.text()
        # ...but it did reach xe, through stdin.
        joins = [argv for host, argv in sim.received if host == "plot9" and "pool-join" in argv]
        assert joins and all(f"master-password={PASSWORD}" in argv for argv in joins)
    finally:
        await conn.session.close()
        await engine.stop()


async def test_unknown_host_key_is_refused_until_explicitly_trusted(sim_factory, tmp_path: Path):
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    known = tmp_path / "known_hosts"
    known.write_text("")  # the jump box has never seen plot9
    target = HostTarget("plot9", "plot9", ssh_config=str(sim.dir / "ssh_config"), known_hosts=str(known))
    conn = await connect_new_host(target, 2.0)
    try:
        expected = sim.host_keys["plot9"].get_fingerprint()
        assert not conn.connected and conn.state is SshState.HOST_KEY_UNKNOWN
        assert conn.fingerprint == expected and expected in (conn.error or "")
        assert conn.needs_trust and conn.offered_key and conn.offered_key.startswith("ssh-ed25519 ")
        assert conn.known_hosts_path == str(known)
        assert known.read_text() == ""  # nothing written by connecting
        assert not await conn.session.connect()  # still refused

        # A wrong fingerprint writes nothing.
        other = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint()
        with pytest.raises(HostKeyRefused):
            await trust_host_key(known, conn.known_hosts_host, conn.known_hosts_port, other)
        assert known.read_text() == ""

        # The admin accepted the fingerprint: trust it, then connect.
        line = await trust_host_key(known, conn.known_hosts_host, conn.known_hosts_port, conn.fingerprint)
        assert line in known.read_text() and known.read_text().count("\n") == 1
        assert await trust_host_key(known, conn.known_hosts_host, conn.known_hosts_port, conn.offered_key) == line
        assert known.read_text().count("\n") == 1  # not duplicated
        assert await conn.session.connect(), conn.session.error
        r = await conn.session.run("cat /etc/hostname", T)
        assert r.stdout.strip() == "plot9"

        # A different key for the same host is never written over the trusted one.
        stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
        with pytest.raises(HostKeyRefused):
            await trust_host_key(known, conn.known_hosts_host, conn.known_hosts_port, stranger)
        assert known.read_text().count("\n") == 1
    finally:
        await conn.session.close()


async def test_every_upload_and_apply_outcome_is_read_back(sim_factory, tmp_path: Path):
    """The wrong file is refused before sending; UPDATE_ALREADY_EXISTS reuses the update (said so);
    an apply counts only when update-list lists the host afterwards."""
    sim = await sim_factory(scenario="onboarding", fuse=0.3)
    config = pool_without_plot9(sim)
    engine = PoolEngine(config.pool("sim"), config.settings.model_copy(update=FAST), remember=False)
    conn = await connect_new_host(HostTarget("plot9", "plot9", ssh_config=str(sim.dir / "ssh_config")), 2.0)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        plot9, master = conn.session, engine.sessions["plot1"]
        new, pool = await gather_host_profile(plot9, T), await gather_host_profile(master, T)
        good = sim.dir / "updates" / "XS82ECU1003.iso"

        # a join while a check blocks: the runner refuses the plan, nothing is sent
        steps = OnboardSteps(plot9, timeout=T)
        plan = steps.join_plan(new, pool, prejoin_checks(new, pool), [], pool.address, "root", PASSWORD, audit,
                               master_session=master, fuse=0.3, settle_timeout=5)
        run = await PlanRunner(engine, audit, confirm=lambda step: True, performers=steps.performers()).run(plan)
        assert plan.blocked and run.results[0].status.value == "not-run" and "updates" in run.stopped
        assert steps.join_report is None and not any("pool-join" in argv for _h, argv in sim.received)

        # a file whose update.xml says another version: refused, nothing sent
        wrong = tmp_path / "XS82ECU1003.iso"
        wrong.write_bytes(good.read_bytes().replace(b'version="1.1"', b'version="1.0"'))
        runner = PlanRunner(engine, audit, confirm=lambda step: True, fuse=0.3)
        level = await bring_level(runner, plot9, [wrong], new_profile=new, pool_profile=pool, timeout=T)
        assert level.applied == [] and len(level.failed) == 1
        assert "version 1.0" in level.failed[0] and "version 1.1" in level.failed[0] and "wrong file" in level.failed[0]
        assert not any("update-upload" in " ".join(argv) for _h, argv in sim.received)
        not_iso = tmp_path / "notes.iso"
        not_iso.write_text("version=1.1\n")
        level = await bring_level(runner, plot9, [not_iso], new_profile=new, pool_profile=pool, timeout=T)
        assert "no update.xml" in level.failed[0]

        # uploaded before (by hand): UPDATE_ALREADY_EXISTS, the same update is applied, and said so
        (sim.pool.host("plot9").path("/tmp/XS82ECU1003.iso")).write_bytes(good.read_bytes())
        first = await run_on(sim, "plot9", "xe update-upload file-name=/tmp/XS82ECU1003.iso")
        uuid = str(first.stdout).strip()
        level = await bring_level(runner, plot9, [good], new_profile=new, pool_profile=pool, timeout=T)
        assert level.applied == ["XS82ECU1003.iso"], level.failed
        assert level.outcomes == [f"XS82ECU1003.iso: already uploaded (UPDATE_ALREADY_EXISTS): reusing update {uuid}; "
                                  "applied — update-list lists it on plot9"]

        # applied already (the profile is stale): not sent again when known, else UPDATE_ALREADY_APPLIED
        level = await bring_level(runner, plot9, [good], new_profile=new, pool_profile=pool, timeout=T)
        assert level.applied == [] and level.already_applied == ["XS82ECU1003.iso"], level.failed
        assert "already applied — update-list lists it on plot9" in level.outcomes[0]
        assert "✓ applied" not in " ".join(level.outcomes)
        fresh = await gather_host_profile(plot9, T)
        level = await bring_level(runner, plot9, [good], new_profile=fresh, pool_profile=pool, timeout=T)
        assert level.run is None and level.outcomes == [
            "XS82ECU1003.iso: XS82ECU1003 1.1 is already applied on plot9; not sent"]
    finally:
        await conn.session.close()
        await engine.stop()
