"""The simulator's HA (xensim/ha.py) over real SSH: files, the liveset tool, the election, fencing,
the refusals and host-emergency-ha-disable, as xapi's source has them (notes/ha-27.md)."""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

import pytest

from helpers.paths import GOLDEN
from helpers.settings import HA_FAST
from xensim.server import Simulator
from xensim.state import SimHost

from tests.xensim.test_sim_pool import addr, eventually, out, pool_conf, run  # noqa: F401

LIVESET = 'PATH="$PATH:/usr/libexec/xapi/cluster-stack/xhad"; /usr/libexec/xapi/cluster-stack/xhad/ha_query_liveset'
BARE = "/usr/libexec/xapi/cluster-stack/xhad/ha_query_liveset"
Factory = Callable[..., Awaitable[Simulator]]


def armed(h: SimHost) -> str | None:
    m = re.search(r'<row key="ha\.armed" value="([^"]*)"/>', h.read("/var/lib/xcp/local.db").decode())
    return m.group(1) if m else None


async def test_healthy_pool_has_no_daemon(sim: Simulator) -> None:
    r = await run(sim, "plot2", f"{LIVESET}; echo rc=$?")
    assert r.stdout == b"rc=14\n" and r.stderr == b""


async def test_the_scripts_need_their_directory_on_path(sim: Simulator) -> None:
    """xha's ha_rc: `ha_null 2> /dev/null || error "PATH is not properly setup" "" $MTC_EXIT_INVALID_ENVIRONMENT`."""
    r = await run(sim, "plot2", f"{BARE}; echo rc=$?")
    assert r.stdout == b"rc=16\n"
    assert re.fullmatch(rb"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4} PATH is not properly setup \(16\)\n", r.stderr)


async def test_armed_files_and_liveset(sim_factory: Factory) -> None:
    sim = await sim_factory("ha-master-lost", hosts=3, **HA_FAST)
    text = await out(sim, "plot2", "head -v -c 65536 -- /var/lib/xcp/local.db /etc/xensource/xhad.conf")
    assert '<row key="ha.armed" value="true"/>' in text and "<HeartbeatTimeout>1</HeartbeatTimeout>" not in text
    assert re.search(r"<HeartbeatTimeout>\d+</HeartbeatTimeout>", text)
    xml = await out(sim, "plot2", LIVESET)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<ha_liveset_info version="1.0">')
    assert xml.count("<host>") == 3
    lines = xml.splitlines()  # calldaemon.c print_query_liveset's own layout
    assert lines[2:4] == ["  <status>Online</status>", "  <localhost>"]
    assert "    <liveness>TRUE</liveness>" in lines and "  <raw_status_on_local_host>" in lines
    assert lines[-8:-6] == ["  <warning_on_local_host>", "    <statefile_lost>FALSE</statefile_lost>"]
    assert lines[-1] == "</ha_liveset_info>"


async def test_master_cable_pulled_elects_and_fences(sim_factory: Factory) -> None:
    sim = await sim_factory("ha-master-lost", hosts=3, **HA_FAST)
    old = sim.pool.host("plot1")
    # before the timeout nothing has moved: the survivors still follow plot1
    assert await pool_conf(sim, "plot2") == f"slave:{addr(sim, 'plot1')}"

    # the sim grants the lock to the live proposer with the lowest UUID: plot3 (84ba…) before plot2 (e3a8…)
    new, other = "plot3", "plot2"

    async def elected() -> bool:
        return await pool_conf(sim, new) == "master" and await pool_conf(sim, other) == f"slave:{addr(sim, new)}"

    await eventually(elected, 10.0, f"{new} elected, {other} follows it")
    assert any("self-fencing" in line for line in old.read("/var/log/xensource.log").decode().splitlines())
    await eventually(lambda: _true(sim.pool.host(new).is_master), 5.0, f"{new}'s xapi restarted as master")
    # the cable comes back: plot1 rebooted (fenced), joins, is refused the lock and follows plot2
    await sim.fault("cable-restore", "plot1")

    async def follows() -> bool:
        return await pool_conf(sim, "plot1") == f"slave:{addr(sim, new)}"

    await eventually(follows, 10.0, f"plot1 follows {new}")
    await eventually(lambda: _true(not old.emergency_error and old.running_role == "slave"), 5.0, "plot1 a slave")
    assert [h.name for h in sim.pool.hosts.values() if h.is_master] == [new]


async def _true(x: Any) -> bool:
    return bool(x)


async def test_refusals_and_emergency_disable(sim_factory: Factory) -> None:
    sim = await sim_factory("ha-wedged", hosts=3, **HA_FAST)
    ha_enabled = (GOLDEN / "error-ha-is-enabled.txt").read_bytes()
    r = await run(sim, "plot2", "xe pool-emergency-transition-to-master")
    assert (r.exit_status, r.stdout, r.stderr) == (1, b"", ha_enabled)
    r = await run(sim, "plot2", "xe host-emergency-ha-disable")
    assert r.exit_status == 1 and r.stderr == (
        b"The server failed to handle your request, due to an internal error. The given message may give details "
        b"useful for debugging the problem.\nmessage: Failure: This operation is extremely dangerous and may cause "
        b"data loss. This operation must be forced (use --force).\n"
    )
    assert armed(sim.pool.host("plot2")) == "true"
    r = await run(sim, "plot2", "xe host-emergency-ha-disable --force")
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"", b"")
    assert armed(sim.pool.host("plot2")) == "false"
    r = await run(sim, "plot2", f"{LIVESET}; echo rc=$?")
    assert r.stdout == b"rc=14\n"
    r = await run(sim, "plot2", "xe host-emergency-ha-disable force=true")  # a second time: not armed
    assert r.stderr == b"The operation could not be performed because HA is not enabled on the Pool\n"


async def test_wedged_never_elects(sim_factory: Factory) -> None:
    sim = await sim_factory("ha-wedged", hosts=3, **HA_FAST)
    import asyncio

    await asyncio.sleep(HA_FAST["ha_timeout"] + HA_FAST["ha_monitor"] + 1.5)
    assert await pool_conf(sim, "plot2") == f"slave:{addr(sim, 'plot1')}"
    assert await pool_conf(sim, "plot3") == f"slave:{addr(sim, 'plot1')}"
    xml = await out(sim, "plot2", LIVESET)
    plot1 = xml.split(f"<HostID>{sim.pool.host('plot1').uuid}</HostID>")[1].split("</host>")[0]
    assert "<liveness>FALSE</liveness>" in plot1 and "<master>TRUE</master>" in plot1  # the lock stuck


@pytest.mark.parametrize("release, word", [("xcpng-8.3", "dangerous"), ("xenserver-8", "dangerous")])
async def test_no_force_wording_per_release(sim_factory: Factory, release: str, word: str) -> None:
    sim = await sim_factory("ha-wedged", hosts=2, release=release, **HA_FAST)
    r = await run(sim, "plot2", "xe host-emergency-ha-disable")
    assert b"message: Failure: This operation is dangerous and may cause data loss." in r.stderr


async def test_disarmed_slave_restarting_in_an_ha_pool_is_stuck(sim_factory: Factory) -> None:
    """resynchronise_ha_state (xapi.ml): local ha.armed=false, Pool.ha_enabled=true, on a slave ->
    emergency mode with HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED (xen-api issue 7177); the engine flags it."""
    from helpers.engines import engine_for
    from xensim.scenarios import enable_ha

    sim = await sim_factory("healthy", hosts=3, **HA_FAST)
    enable_ha(sim.pool)
    r = await run(sim, "plot3", "xe host-emergency-ha-disable --force")
    assert r.exit_status == 0
    sim.pool.xapi_start(sim.pool.host("plot3"))  # its toolstack restarts
    assert (await out(sim, "plot3", "xe host-is-in-emergency-mode")) == "true\n"
    r = await run(sim, "plot3", "xe pool-list")
    assert r.stderr == (
        b"This server cannot join the pool because the pool has HA enabled but this server has HA disabled.\n"
    )
    eng = engine_for(sim)
    try:
        d = await eng.probe_once()
    finally:
        await eng.stop()
    assert "ha-disabled-in-ha-pool" in d.hosts["plot3"].flags, d.hosts["plot3"]
    assert "7177" in d.hosts["plot3"].note


async def test_join_refused_while_ha_enabled(sim_factory: Factory) -> None:
    from xensim.scenarios import enable_ha

    sim = await sim_factory("onboarding", **HA_FAST)
    enable_ha(sim.pool)  # every host, plot9 too: its own pool has HA on
    master = sim.pool.host("plot1").address
    r = await run(sim, "plot9", f"xe pool-join master-address={master} master-username=root master-password=xenroot")
    assert r.exit_status == 1
    assert r.stderr == (GOLDEN / "error-ha-is-enabled.txt").read_bytes()
