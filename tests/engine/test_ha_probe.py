"""The probe reads HA on each host without xapi (issue 27): local.db and xhad.conf with the files,
the liveset tool on its own channel only where HA is configured; every fact with its source."""

from __future__ import annotations


import pytest

from helpers.engines import engine_for
from helpers.settings import HA_FAST
from xentui.core.model import CommandResult, HostFacts
from xentui.engine.ha_probe import apply_liveset


async def test_ha_facts_read_on_every_host(sim_factory) -> None:
    sim = await sim_factory("ha-master-lost", hosts=3, **{**HA_FAST, "ha_timeout": 30.0})
    engine = engine_for(sim)
    try:
        await engine.probe_once()
    finally:
        await engine.stop()
    uuids = {n: h.uuid for n, h in sim.pool.hosts.items()}
    for name in ("plot2", "plot3"):
        f = engine.facts[name]
        assert f.ha_armed is True and f.ha_disable_failover is False and f.ha_cluster_stack == "xhad"
        assert f.ha_timeout == 30.0
        assert set(f.ha_peers) == set(uuids.values()) and sorted(f.ha_config_hosts) == sorted(uuids.values())
        assert f.ha_liveset_status == "online" and set(f.ha_liveset) == set(uuids.values())
        # within T of the cable pull plot1 is still live in the survivors' view, and holds the lock
        row = f.ha_liveset[uuids["plot1"]]
        assert row.liveness and row.master
        for key in ("ha_local", "ha_config", "ha_liveset"):
            assert key in f.sources and f.sources[key].at > 0
    assert engine.facts["plot1"].ha_armed is None  # cut off: never read


async def test_no_ha_costs_nothing(sim_factory) -> None:
    sim = await sim_factory("healthy", hosts=2)
    engine = engine_for(sim)
    c0 = sim.channels.copy()
    try:
        await engine.probe_once()
    finally:
        await engine.stop()
    f = engine.facts["plot2"]
    assert f.ha_armed is False and f.ha_liveset_status is None and "ha_config" not in f.sources
    assert (sim.channels - c0)[("plot2", "exec")] == 4  # files, reach, two xe: no liveset channel


@pytest.mark.parametrize(
    "stdout, timed_out, status, error",
    [
        ("rc=14\n", False, "daemon-not-running", "rc 14 MTC_EXIT_DAEMON_IS_NOT_PRESENT (Daemon is not present)"),
        ("rc=8\n", False, "error", "rc 8 MTC_EXIT_CAN_NOT_ACCESS_STATEFILE (State-File is inaccessible)"),
        ("rc=99\n", False, "error", "Unrecognised MTC exit code: 99"),
        ("rc=124\n", False, "error", "no answer (remote timeout)"),
        ("", True, "error", "no answer (remote timeout)"),
        ("<garbage\nrc=0\n", False, "error", None),
    ],
)
def test_liveset_failures_are_facts(stdout: str, timed_out: bool, status: str, error: str | None) -> None:
    f = HostFacts(name="h", address="h")
    apply_liveset(f, CommandResult("h", "x", None if timed_out else 0, stdout, "", 1.0, 0.1, timed_out=timed_out))
    assert f.ha_liveset_status == status and f.ha_liveset == {}
    assert f.ha_liveset_error is not None and (error is None or f.ha_liveset_error == error)
    assert f.sources["ha_liveset"].at == 1.0
