"""The engine against the simulator, over real SSH: facts, verdicts, status/check."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from helpers.settings import ENGINE_FAST
from xentui.cli import check, common, status
from xentui.cli import main as cli
from xentui.core.config import Config, load_config
from xentui.diagnosis import Verdict
from xentui.engine.pool import PoolEngine
from xentui.devtools.loopwatch import LoopWatch
from xentui.core.model import QueryState, Role, SshState, XapiView

FAST = ENGINE_FAST


def sim_config(sim, **settings) -> Config:
    config = load_config(sim.dir / "pools.toml")
    return config.model_copy(update={"settings": config.settings.model_copy(update={**FAST, **settings})})


async def probe(sim, **settings):
    config = sim_config(sim, **settings)
    engine = PoolEngine(config.pools[0], config.settings)
    started = time.monotonic()
    try:
        d = await engine.probe_once()
    finally:
        await engine.stop()
    return engine, d, time.monotonic() - started


async def test_healthy_pool_every_host_believes_plot1(sim_factory):
    sim = await sim_factory("healthy")
    engine, d, _ = await probe(sim)
    assert d.verdict is Verdict.HEALTHY, d.summary
    assert d.master and d.master.name == "plot1"
    assert d.master.uuid == sim.pool.host("plot1").uuid
    f1 = engine.facts["plot1"]
    assert f1.role is Role.MASTER and f1.xapi is XapiView.MASTER
    for name in [f"plot{i}" for i in range(2, 9)]:
        f = engine.facts[name]
        assert f.ssh is SshState.UP
        assert f.role is Role.SLAVE and f.master_address == sim.pool.host("plot1").address
        assert f.xapi is XapiView.SLAVE and f.xapi_master_address == f.master_address
        assert f.reaches_master is True
        assert f.pool_list is QueryState.ANSWERED and f.pool_master_uuid == f1.uuid
        assert f.emergency_mode is False
        assert f.uuid == sim.pool.host(name).uuid
        assert f.db_generation is not None and f.sources["role"].how


@pytest.mark.parametrize(
    "scenario, verdict, master",
    [
        ("master-shutdown", Verdict.MASTER_LOST, None),
        ("master-cable-pulled", Verdict.MASTER_LOST, None),
        ("split-brain", Verdict.SPLIT_BRAIN, "plot2"),
        ("host-offline", Verdict.DEGRADED, "plot1"),
    ],
)
async def test_verdict_per_scenario(sim_factory, scenario, verdict, master):
    sim = await sim_factory(scenario)
    engine, d, seconds = await probe(sim)
    assert d.verdict is verdict, d.summary
    if verdict is Verdict.SPLIT_BRAIN:
        assert set(d.masters) == {"plot1", "plot2"}
        assert d.majority_master and d.majority_master.name == master
        assert any(f.host == "plot1" and f.action == "recover-slaves" for f in d.forbidden)
    elif master:
        assert d.master and d.master.name == master
    if scenario == "master-cable-pulled":
        # bounded: connect timeout + command timeout + 2 s, never a stuck task
        assert seconds < FAST["connect_timeout"] + FAST["command_timeout"] + 2
        assert engine.facts["plot1"].ssh is SshState.NO_ANSWER
        assert "no answer in 2 s" in (engine.facts["plot1"].ssh_error or "")
        slave = engine.facts["plot4"]
        assert slave.emergency_mode is False  # shown, never trusted alone
        assert slave.pool_list is QueryState.NO_ANSWER
        assert slave.reaches_master is False
    if scenario == "master-shutdown":
        assert engine.facts["plot1"].ssh is SshState.REFUSED
        assert d.candidate and d.candidate != "plot1"
        assert any(f.action == "host-forget" and f.host == "plot1" for f in d.forbidden)


async def test_master_lost_comes_from_fast_signals_before_xe_times_out(sim_factory):
    sim = await sim_factory("master-cable-pulled")
    config = sim_config(sim, command_timeout=8.0, connect_timeout=6.0)
    engine = PoolEngine(config.pools[0], config.settings)
    started = time.monotonic()
    first: list[float] = []

    def on_update(_facts) -> None:
        if not first and engine.diagnose().verdict is Verdict.MASTER_LOST:
            first.append(time.monotonic() - started)

    try:
        await engine.probe_once(on_update)
    finally:
        await engine.stop()
    assert first, "master-lost never diagnosed"
    # Generous bound (no speed assert): well before the 6 s connect / 8 s xe timeouts.
    assert first[0] < 5.0


async def test_remembered_addresses_name_the_lost_master(sim_factory):
    sim = await sim_factory("healthy")
    await probe(sim)  # learns every host's own address
    await sim.fault("shutdown", "plot1")
    engine, d, _ = await probe(sim)
    assert d.verdict is Verdict.MASTER_LOST
    assert d.hosts["plot3"].follows == "plot1"
    assert engine.facts["plot1"].sources["own_addresses"].stale


async def test_failures_are_one_line_per_host_and_others_still_probed(sim_factory, tmp_path: Path):
    sim = await sim_factory("healthy")
    await sim.fault("deny-auth", "plot2")
    await sim.fault("rekey", "plot3")
    await sim.fault("shutdown", "plot4")
    await sim.fault("hang-xapi", "plot5")
    await sim.fault("no-forwarding", "plot6")
    ssh_config = (sim.dir / "ssh_config").read_text()
    ssh_config += "\nHost ghost\n    HostName no-such-host.invalid\n    User root\n"
    (sim.dir / "ssh_config").write_text(ssh_config)
    toml = (sim.dir / "pools.toml").read_text().replace('"plot8"]', '"plot8", "ghost"]')
    (sim.dir / "pools.toml").write_text(toml)
    engine, d, seconds = await probe(sim)
    f = engine.facts
    assert f["plot2"].ssh is SshState.AUTH_FAILED and f["plot2"].ssh_error.startswith("plot2: authentication failed")
    assert f["plot3"].ssh is SshState.HOST_KEY_CHANGED and "SHA256:" in f["plot3"].ssh_error
    assert f["plot4"].ssh is SshState.REFUSED and f["plot4"].ssh_error == "plot4: connection refused"
    assert f["ghost"].ssh is SshState.DNS_FAILED and "does not resolve" in f["ghost"].ssh_error
    # four causes, four findings: a name that does not resolve is a configuration error, never
    # a host the handover waits for nor one to keep from being forgotten
    assert "does not resolve" in d.hosts["ghost"].note
    assert {fb.host for fb in d.forbidden if fb.action == "host-forget"} == {"plot2", "plot3", "plot4"}
    assert all("ghost" not in fb.reason for fb in d.forbidden), d.forbidden
    assert f["plot5"].ssh is SshState.UP and f["plot5"].xapi is XapiView.NO_ANSWER
    assert f["plot5"].role is Role.SLAVE  # the files still answer when xapi hangs
    assert f["plot6"].forwarding is False and f["plot6"].xapi is XapiView.UNAVAILABLE
    assert f["plot6"].pool_list is QueryState.ANSWERED  # xe over exec still works
    for name in ("plot1", "plot7", "plot8"):
        assert f[name].ssh is SshState.UP and f[name].role is not None
    for bad in ("plot2", "plot3", "plot4", "ghost"):
        assert "\n" not in (f[bad].ssh_error or "")
    assert seconds < FAST["connect_timeout"] + FAST["command_timeout"] + 3


async def test_unknown_host_key_is_refused_with_fingerprint(sim_factory):
    sim = await sim_factory("healthy", hosts=2)
    (sim.dir / "known_hosts").write_text("")
    engine, d, _ = await probe(sim)
    f = engine.facts["plot1"]
    assert f.ssh is SshState.HOST_KEY_UNKNOWN
    assert f.host_key_fingerprint and f.host_key_fingerprint.startswith("SHA256:")
    assert f.host_key_fingerprint in f.ssh_error
    assert d.verdict is Verdict.UNKNOWN


async def test_event_loop_never_blocks_during_a_probe(sim_factory):
    sim = await sim_factory("master-cable-pulled")
    async with LoopWatch() as watch:
        await probe(sim)
    assert watch.worst < 0.5, f"event loop stalled {watch.worst * 1000:.0f} ms (a blocking call)"


async def test_cli_status_json_and_check(sim_factory, capsys):
    sim = await sim_factory("split-brain")
    config = sim_config(sim)
    r = await common.probe(config, config.pools[0], early=False)
    facts, d, seconds = r.facts, r.diagnosis, r.seconds
    assert r.outstanding == []  # no deadline: every answer or timeout was waited for
    doc = status.status_json("sim", facts, d, seconds)
    text = json.dumps(doc)
    back = json.loads(text)
    assert back["verdict"] == "split-brain"
    assert back["majority_master"]["name"] == "plot2"
    keys = {"name", "address", "reachable", "role", "master_address", "uuid", "xapi", "emergency_mode",
            "reaches_master", "db_generation", "latency_ms", "error"}
    assert all(keys <= set(h) for h in back["hosts"])
    assert check.NAGIOS[d.verdict] == 2
    table = status.status_table(doc)
    assert "SPLIT-BRAIN" in table and "plot2" in table


def test_check_exit_3_on_bad_config(tmp_path: Path, capsys):
    bad = tmp_path / "pools.toml"
    bad.write_text('[[pool]]\nname = "x"\nhosts = ["a", "a"]\n')
    assert cli.main(["check", "--config", str(bad)]) == 3
    out = capsys.readouterr().out
    assert out.startswith("XENTUI UNKNOWN - ") and "pools.toml:3" in out and "duplicate host" in out


async def test_cable_pulled_under_an_open_session_is_seen_and_the_master_still_named(sim_factory):
    sim = await sim_factory("healthy")
    config = sim_config(sim)
    engine = PoolEngine(config.pools[0], config.settings)
    try:
        await engine.probe_once()  # sessions open, everything known
        await sim.fault("cable-pull", "plot1")
        started = time.monotonic()
        d = await engine.probe_once()
        f1 = engine.facts["plot1"]
        assert f1.ssh is SshState.NO_ANSWER and (f1.ssh_error or "").startswith("plot1: ")
        assert time.monotonic() - started < FAST["command_timeout"] + 3
        assert f1.uuid == sim.pool.host("plot1").uuid and f1.sources["uuid"].stale
        assert d.verdict is Verdict.MASTER_LOST
        assert d.hosts["plot2"].follows == "plot1"
    finally:
        await engine.stop()
