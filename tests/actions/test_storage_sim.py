"""Local storage against the simulator, over real SSH: gather, classify, create, re-read."""

from __future__ import annotations

from helpers.settings import ENGINE_FAST
from xentui.actions.storage import gather_storage, hosts_with_spare_devices, plan_local_sr
from xentui.core.config import load_config
from xentui.engine.pool import PoolEngine
from xentui.xe.records import parse_records

FAST = ENGINE_FAST


async def engine_for(sim) -> PoolEngine:
    config = load_config(sim.dir / "pools.toml")
    return PoolEngine(config.pools[0], config.settings.model_copy(update=FAST))


async def test_plot3_sdb1_becomes_a_local_sr_and_is_then_in_use(sim_factory):
    sim = await sim_factory("healthy")
    engine = await engine_for(sim)
    try:
        await engine.probe_once()
        f3 = engine.facts["plot3"]
        session = engine.sessions["plot3"]
        storage = await gather_storage(session, "plot3", f3.uuid, f3.hostname, 3.0)
        assert storage.error is None
        devs = {d.name: d for d in storage.devices}
        assert devs["sdb1"].free and devs["sdb"].free is True
        for system in ("sda", "sda1", "sda2", "sda3", "sda4", "sda5", "sda6"):
            assert not devs[system].free, system
        assert any("LVM physical volume" in r or "device of SR" in r for r in devs["sda3"].reasons)
        assert "mounted on /var/log" in devs["sda5"].reasons

        plan = plan_local_sr(storage, "sdb1")
        assert plan.name_label == "Local storage 2 on plot3"
        r = await session.run(plan.command, 5.0)
        assert r.ok, r.stderr
        sr_uuid = r.stdout.strip()
        listed = await session.run(f"xe sr-list uuid={sr_uuid} params=name-label,host", 5.0)
        rec = parse_records(listed.stdout)[0]
        assert rec == {"name-label": "Local storage 2 on plot3", "host": "plot3"}

        again = await gather_storage(session, "plot3", f3.uuid, f3.hostname, 3.0)
        devs = {d.name: d for d in again.devices}
        assert not devs["sdb1"].free
        assert any("Local storage 2 on plot3" in r or "LVM physical volume" in r for r in devs["sdb1"].reasons)
        assert not devs["sdb"].free

        # The pool at a glance: who has a spare device.
        pool = []
        for name in ("plot1", "plot3", "plot4", "plot5"):
            f = engine.facts[name]
            pool.append(await gather_storage(engine.sessions[name], name, f.uuid, f.hostname, 3.0))
        spare = hosts_with_spare_devices(pool)
        assert "plot1" not in spare  # the system disk is never offered
        assert {d.name for d in spare["plot4"]} >= {"sdb1", "sdb2"}
        assert {d.name for d in spare["plot5"]} == {"sdb"}
    finally:
        await engine.stop()


async def test_an_sr_over_two_devices_takes_both(sim_factory):
    """`device-config:device=/dev/sdb1,/dev/sdb2`: one SR whose VG spans both; neither is free after."""
    sim = await sim_factory("healthy")
    engine = await engine_for(sim)
    try:
        await engine.probe_once()
        f4 = engine.facts["plot4"]
        session = engine.sessions["plot4"]
        before = {d.name: d for d in (await gather_storage(session, "plot4", f4.uuid, f4.hostname, 3.0)).devices}
        assert before["sdb1"].free and before["sdb2"].free
        r = await session.run(
            f"xe sr-create host-uuid={f4.uuid} type=lvm content-type=user name-label=wide "
            "device-config:device=/dev/sdb1,/dev/sdb2", 5.0)
        assert r.ok, r.stderr
        listed = await session.run(f"xe pbd-list sr-uuid={r.stdout.strip()} params=device-config", 5.0)
        assert parse_records(listed.stdout) == [{"device-config": "device: /dev/sdb1,/dev/sdb2"}]
        after = {d.name: d for d in (await gather_storage(session, "plot4", f4.uuid, f4.hostname, 3.0)).devices}
        for name in ("sdb1", "sdb2"):
            assert not after[name].free, name
            assert any("wide" in reason for reason in after[name].reasons), after[name].reasons
    finally:
        await engine.stop()
