"""Pool behaviour of the simulator (reference §1-§5), driven through real SSH.

Every wait for an effect is a polling loop bounded by a few seconds; every
"does not answer" is a bounded wait that must time out.  The fixture's fuse
is 0.3 s, the boot delay 0.1 s.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Awaitable, Callable

import asyncssh
import pytest

from helpers.error_corpus import release_corpus
from helpers.sim import ssh_connect
from helpers.paths import GOLDEN
from xensim.server import Simulator

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HANG = 1.0  # "does not return within" bound


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def in_release_wording(printed: bytes, code: str, release: str = "xcpng-8.2") -> bytes:
    """A golden error text with the description line of the simulator's release (its datamodel fixture)."""
    description = release_corpus(release)[code].split("\n", 1)[0]
    return description.encode() + b"\n" + printed.split(b"\n", 1)[1]


async def run(sim: Simulator, host: str, command: str, timeout: float = 5.0) -> asyncssh.SSHCompletedProcess:
    """Run one command; TimeoutError when it does not complete within `timeout`."""
    try:
        conn = await asyncio.wait_for(ssh_connect(sim, host), 5.0)
    except asyncio.TimeoutError:
        raise ConnectionError(f"connect to {host} timed out") from None  # not "the command hangs"
    async with conn:
        return await asyncio.wait_for(conn.run(command, check=False, encoding=None, stdin=asyncssh.DEVNULL), timeout)


async def out(sim: Simulator, host: str, command: str, timeout: float = 5.0) -> str:
    r = await run(sim, host, command, timeout)
    assert r.exit_status == 0, (command, r.stderr)
    return r.stdout.decode()


async def pool_conf(sim: Simulator, host: str) -> str:
    return await out(sim, host, "cat /etc/xensource/pool.conf")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if await check():
                return
        except (AssertionError, asyncio.TimeoutError, asyncssh.Error, OSError):
            pass
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def uuid_of(sim: Simulator, host: str) -> str:
    return sim.pool.host(host).uuid


def addr(sim: Simulator, host: str) -> str:
    return sim.pool.host(host).address


async def master_seen_by(sim: Simulator, host: str, timeout: float = 1.0) -> str:
    return (await out(sim, host, "xe pool-list params=master --minimal", timeout)).strip()


async def wait_master(sim: Simulator, host: str, expected: str, timeout: float = 5.0) -> None:
    async def check() -> bool:
        return await master_seen_by(sim, host) == uuid_of(sim, expected)

    await eventually(check, timeout, f"{host} sees {expected} as master")


# ----------------------------------------------------------------------------- master gone: slaves wait


@pytest.mark.parametrize("how", ["scenario-cable", "cable-pull", "shutdown"])
async def test_slave_hangs_but_is_not_in_emergency_mode(sim_factory: Any, how: str) -> None:
    if how == "scenario-cable":
        sim = await sim_factory(scenario="master-cable-pulled")
    else:
        sim = await sim_factory()
        assert await master_seen_by(sim, "plot3") == uuid_of(sim, "plot1")
        await sim.fault(how, "plot1")
    with pytest.raises(asyncio.TimeoutError):
        await run(sim, "plot3", "xe pool-list", timeout=HANG)
    # Runs locally, answers at once.
    r = await run(sim, "plot3", "xe host-is-in-emergency-mode", timeout=2.0)
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"false\n", b"")
    assert await pool_conf(sim, "plot3") == f"slave:{addr(sim, 'plot1')}"


async def test_emergency_transition_to_master(sim_factory: Any) -> None:
    # A 1 s fuse leaves room to see the state before the restart, even on a loaded machine.
    sim = await sim_factory(scenario="master-cable-pulled", fuse=1.0)
    plot2 = sim.pool.host("plot2")
    r = await run(sim, "plot2", "xe pool-emergency-transition-to-master")
    assert (r.exit_status, r.stderr) == (0, b"")
    assert r.stdout == b"Host agent will restart and transition to master in 1. seconds...\n"
    # pool.conf is written at once; the toolstack only restarts after the fuse.
    assert plot2.pool_conf == "master"
    assert plot2.running_role == "slave"
    assert await pool_conf(sim, "plot2") == "master"
    await wait_master(sim, "plot2", "plot2")
    assert plot2.running_role == "master"
    log = await out(sim, "plot2", "cat /var/log/xensource.log")
    assert "Restarting toolstack" in log


@pytest.mark.parametrize("fuse,printed", [(10.0, b"10."), (0.3, b"0.3")])
async def test_emergency_transition_prints_an_ocaml_float(sim_factory: Any, fuse: float, printed: bytes) -> None:
    sim = await sim_factory(scenario="master-cable-pulled", fuse=fuse)
    r = await run(sim, "plot5", "xe pool-emergency-transition-to-master")
    assert r.stdout == b"Host agent will restart and transition to master in " + printed + b" seconds...\n"


async def test_emergency_transition_on_master_needs_force(sim: Simulator) -> None:
    r = await run(sim, "plot1", "xe pool-emergency-transition-to-master")
    assert (r.exit_status, r.stderr) == (0, b"")
    assert r.stdout == b"Host agent is already master. Use '--force' to execute the operation anyway.\n"
    assert sim.pool.host("plot1").restart_task is None or sim.pool.host("plot1").restart_task.done()


async def test_emergency_reset_master(sim: Simulator) -> None:
    a = addr(sim, "plot1")
    r = await run(sim, "plot3", f"xe pool-emergency-reset-master master-address={a}")
    assert (r.exit_status, r.stderr) == (0, b"")
    assert r.stdout == f"Host agent will restart and become slave of {a} in 0.3 seconds...\n".encode()
    assert await pool_conf(sim, "plot3") == f"slave:{a}"
    await asyncio.sleep(0.5)
    await wait_master(sim, "plot3", "plot1")


async def test_recover_slaves_prints_exactly_the_reset_hosts(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="master-cable-pulled")
    await sim.fault("shutdown", "plot5")
    await run(sim, "plot2", "xe pool-emergency-transition-to-master")
    await wait_master(sim, "plot2", "plot2")
    r = await run(sim, "plot2", "xe pool-recover-slaves")
    assert (r.exit_status, r.stderr) == (0, b"")
    lines = r.stdout.decode().split("\n")
    assert lines[-1] == ""  # one UUID per line
    reset = lines[:-1]
    assert all(UUID_RE.match(u) for u in reset)
    expected = {uuid_of(sim, h) for h in ("plot3", "plot4", "plot6", "plot7", "plot8")}
    assert len(reset) == len(set(reset))
    assert set(reset) == expected  # plot1 (cable) and plot5 (off) unreachable: skipped silently
    new = f"slave:{addr(sim, 'plot2')}"
    for h in ("plot3", "plot4", "plot6", "plot7", "plot8"):
        assert await pool_conf(sim, h) == new
    for h in ("plot3", "plot8"):
        await wait_master(sim, h, "plot2")
    assert sim.pool.host("plot1").pool_conf == "master"
    assert sim.pool.host("plot5").pool_conf == f"slave:{addr(sim, 'plot1')}"
    # Running it again resets the same reachable hosts.
    await asyncio.sleep(0.4)
    r = await run(sim, "plot2", "xe pool-recover-slaves")
    assert set(r.stdout.decode().split()) == expected


async def test_designate_new_master_needs_every_host(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="host-offline")
    p2 = uuid_of(sim, "plot2")
    r = await run(sim, "plot1", f"xe pool-designate-new-master host-uuid={p2}")
    assert (r.exit_status, r.stdout) == (1, b"")
    expected = golden("error-host-offline.txt").replace(b"7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11", uuid_of(sim, "plot7").encode())
    assert r.stderr == expected
    assert r.stderr.endswith(f"host: {uuid_of(sim, 'plot7')} (plot7)\n".encode())
    assert await pool_conf(sim, "plot1") == "master"
    assert await pool_conf(sim, "plot2") == f"slave:{addr(sim, 'plot1')}"

    await sim.fault("boot", "plot7")
    await wait_master(sim, "plot7", "plot1")
    r = await run(sim, "plot1", f"xe pool-designate-new-master host-uuid={p2}")
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"", b"")
    for i in range(1, 9):
        conf = await pool_conf(sim, f"plot{i}")
        assert conf == ("master" if i == 2 else f"slave:{addr(sim, 'plot2')}"), f"plot{i}"
    for h in ("plot1", "plot2", "plot7"):
        await wait_master(sim, h, "plot2")


async def test_emergency_mode_only_when_toolstack_starts_without_master(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="master-shutdown")
    r = await run(sim, "plot3", "xe host-is-in-emergency-mode")
    assert r.stdout == b"false\n"
    await sim.fault("shutdown", "plot3")
    await sim.fault("boot", "plot3")

    async def in_emergency() -> bool:
        return (await run(sim, "plot3", "xe host-is-in-emergency-mode", timeout=1.0)).stdout == b"true\n"

    await eventually(in_emergency, 5.0, "plot3 in emergency mode")
    r = await run(sim, "plot3", "xe pool-list", timeout=2.0)  # fails promptly, no hang
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-host-still-booting.txt")
    assert r.stderr == b"The host toolstack is still initialising. Please wait.\n"
    log = await out(sim, "plot3", "cat /var/log/xensource.log")
    assert "Cannot contact master: running in slave emergency mode" in log
    # A slave that did not restart still waits (and is not in emergency mode).
    r = await run(sim, "plot4", "xe host-is-in-emergency-mode")
    assert r.stdout == b"false\n"
    with pytest.raises(asyncio.TimeoutError):
        await run(sim, "plot4", "xe pool-list", timeout=HANG)


async def test_forgotten_host_that_comes_back_is_unknown_to_master(sim_factory: Any) -> None:
    sim = await sim_factory()
    p6 = uuid_of(sim, "plot6")
    await sim.fault("shutdown", "plot6")
    r = await run(sim, "plot1", f"xe host-forget uuid={p6} --force")
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"", b"")
    await sim.fault("boot", "plot6")

    async def unknown() -> bool:
        r = await run(sim, "plot6", "xe pool-list", timeout=1.0)
        return r.exit_status == 1 and b"not known" in r.stderr

    await eventually(unknown, 5.0, "plot6 reports HOST_UNKNOWN_TO_MASTER")
    r = await run(sim, "plot6", "xe host-list")
    expected = in_release_wording(golden("error-host-unknown-to-master-coordinator.txt"), "HOST_UNKNOWN_TO_MASTER")
    expected = expected.replace(b"7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11", p6.encode())
    assert r.stderr == expected
    assert (await run(sim, "plot6", "xe host-is-in-emergency-mode")).stdout == b"true\n"


async def test_old_master_that_reaches_new_master_demotes_itself(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="master-shutdown")
    await run(sim, "plot2", "xe pool-emergency-transition-to-master")
    await wait_master(sim, "plot2", "plot2")
    await run(sim, "plot2", "xe pool-recover-slaves")
    await sim.fault("boot", "plot1")
    new = f"slave:{addr(sim, 'plot2')}"

    async def demoted() -> bool:
        return await pool_conf(sim, "plot1") == new

    await eventually(demoted, 5.0, "plot1 demoted")
    await wait_master(sim, "plot1", "plot2")
    log = await out(sim, "plot1", "cat /var/log/xensource.log")
    assert "Detected another master in my database of known hosts" in log


async def test_old_master_that_cannot_reach_stays_master(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="master-shutdown")
    await run(sim, "plot2", "xe pool-emergency-transition-to-master")
    await wait_master(sim, "plot2", "plot2")
    await run(sim, "plot2", "xe pool-recover-slaves")
    await sim.fault("cable-pull", "plot1")
    await sim.fault("boot", "plot1")
    plot1 = sim.pool.host("plot1")

    async def started() -> bool:
        return plot1.xapi_state == "running"

    await eventually(started, 5.0, "plot1's toolstack started")
    await sim.fault("cable-restore", "plot1")
    assert await pool_conf(sim, "plot1") == "master"
    assert await pool_conf(sim, "plot2") == "master"  # split brain
    assert await master_seen_by(sim, "plot1") == uuid_of(sim, "plot1")
    assert await master_seen_by(sim, "plot2") == uuid_of(sim, "plot2")
    await wait_master(sim, "plot3", "plot2")


async def test_split_brain_scenario(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="split-brain")
    confs = {f"plot{i}": await pool_conf(sim, f"plot{i}") for i in range(1, 9)}
    assert [h for h, c in confs.items() if c == "master"] == ["plot1", "plot2"]
    assert all(c == f"slave:{addr(sim, 'plot2')}" for h, c in confs.items() if h not in ("plot1", "plot2"))
    assert await master_seen_by(sim, "plot1") == uuid_of(sim, "plot1")
    assert await master_seen_by(sim, "plot5") == uuid_of(sim, "plot2")
    g1 = int(await out(sim, "plot1", "cat /var/lib/xcp/state.db.generation"))
    g2 = int(await out(sim, "plot2", "cat /var/lib/xcp/state.db.generation"))
    assert g2 > g1  # the master the rest follows holds the freshest database
    # The fix: recover-slaves on plot2 resets the old master too.
    r = await run(sim, "plot2", "xe pool-recover-slaves")
    assert uuid_of(sim, "plot1") in r.stdout.decode().split()

    async def healed() -> bool:
        return await pool_conf(sim, "plot1") == f"slave:{addr(sim, 'plot2')}"

    await eventually(healed, 5.0, "plot1 follows plot2")
    await wait_master(sim, "plot1", "plot2")


async def test_ha_enabled_refuses_recovery_commands(sim: Simulator) -> None:
    # designate reads Pool.ha_enabled; the emergency transition the host's own local.db ha.armed (xapi_pool.ml)
    from xensim.scenarios import enable_ha

    enable_ha(sim.pool)
    r = await run(sim, "plot1", f"xe pool-designate-new-master host-uuid={uuid_of(sim, 'plot2')}")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-ha-is-enabled.txt")
    r = await run(sim, "plot3", "xe pool-emergency-transition-to-master")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == golden("error-ha-is-enabled.txt")
    assert await pool_conf(sim, "plot3") == f"slave:{addr(sim, 'plot1')}"


# ----------------------------------------------------------------------------- storage


SR_CREATE = (
    'xe sr-create content-type=user device-config:device={dev} host-uuid={host} '
    'name-label="Local storage 2 on {name}" shared=false type=lvm'
)


async def test_sr_create_on_spare_partition(sim: Simulator) -> None:
    p3 = uuid_of(sim, "plot3")
    r = await run(sim, "plot1", SR_CREATE.format(dev="/dev/sdb1", host=p3, name="plot3"))
    assert (r.exit_status, r.stderr) == (0, b""), r.stderr
    sr = r.stdout.decode()
    assert sr.endswith("\n") and UUID_RE.match(sr.strip())
    sr = sr.strip()
    # Visible from every host, with its PBD.
    assert (await out(sim, "plot3", 'xe sr-list name-label="Local storage 2 on plot3" --minimal')).strip() == sr
    pbds = await out(sim, "plot5", f"xe pbd-list sr-uuid={sr} params=device-config,host-uuid,sr-uuid")
    assert f"host-uuid ( RO)        : {p3}\n" in pbds
    assert "device-config (MRO): device: /dev/sdb1\n" in pbds
    # The same device, or the disk holding it, is refused.
    for dev in ("/dev/sdb1", "/dev/sdb"):
        r = await run(sim, "plot1", SR_CREATE.format(dev=dev, host=p3, name="plot3"))
        assert r.exit_status == 1 and r.stdout == b"" and r.stderr, dev
    srs = (await out(sim, "plot1", "xe sr-list --minimal")).strip().split(",")
    assert srs.count(sr) == 1 and len(srs) == 8 * 3 + 1 + 1  # per host: Local storage, DVD drives, Removable storage; the tools SR; the new one
    # Another host's spare partitions are independent.
    r = await run(sim, "plot4", SR_CREATE.format(dev="/dev/sdb2", host=uuid_of(sim, "plot4"), name="plot4"))
    assert r.exit_status == 0 and UUID_RE.match(r.stdout.decode().strip())
    # A device that does not exist on the host.
    r = await run(sim, "plot1", SR_CREATE.format(dev="/dev/sdb1", host=uuid_of(sim, "plot2"), name="plot2"))
    assert r.exit_status == 1 and r.stderr


# ----------------------------------------------------------------------------- updates and joining


async def test_pool_join_needs_homogeneous_updates(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="onboarding")
    p9 = uuid_of(sim, "plot9")
    join = f"xe pool-join master-address={addr(sim, 'plot1')} master-username=root master-password=xenroot"
    r = await run(sim, "plot9", join)
    assert (r.exit_status, r.stdout) == (1, b"")
    expected = golden("error-hosts-not-homogeneous.txt").replace(b"local host plot7", b"local host plot9")
    assert r.stderr == expected
    assert await pool_conf(sim, "plot9") == "master"

    async with await ssh_connect(sim, "plot9") as conn:
        async with conn.start_sftp_client() as sftp:
            async with sftp.open("/tmp/notes.iso", "wb") as f:
                await f.write(b"version=1.1\n")
            # the vendor's file, as the simulator writes it: update.xml is what xapi reads
            async with sftp.open("/tmp/XS82ECU1003.iso", "wb") as f:
                await f.write((sim.dir / "updates" / "XS82ECU1003.iso").read_bytes())
    r = await run(sim, "plot9", "xe update-upload file-name=/tmp/notes.iso")
    assert r.exit_status == 1 and b"The uploaded update package is invalid." in r.stderr
    assert b"missing update document (update.xml)" in r.stderr
    r = await run(sim, "plot9", "xe update-upload file-name=/tmp/XS82ECU1003.iso")
    assert (r.exit_status, r.stderr) == (0, b"")
    update = r.stdout.decode().strip()
    assert UUID_RE.match(update)
    pool_update = sim.pool.host("plot1").db.updates
    assert pool_update[update].name_label == "XS82ECU1003"  # the pool's own update: the same UUID
    r = await run(sim, "plot9", f"xe update-apply uuid={update} host-uuid={p9}")
    assert (r.exit_status, r.stdout, r.stderr) == (0, b"", b"")
    listed = await out(sim, "plot9", "xe update-list name-label=XS82ECU1003 params=uuid,version,hosts")
    assert "version ( RO): 1.1\n" in listed and f"hosts (SRO): {p9}\n" in listed

    r = await run(sim, "plot9", join)
    assert (r.exit_status, r.stderr) == (0, b""), r.stderr
    assert r.stdout == b"Host agent will restart and attempt to join pool in 0.3 seconds...\n"
    assert await pool_conf(sim, "plot9") == f"slave:{addr(sim, 'plot1')}"
    await wait_master(sim, "plot9", "plot1")
    hosts = (await out(sim, "plot1", "xe host-list --minimal")).strip().split(",")
    assert p9 in hosts and len(hosts) == 9
    assert (await out(sim, "plot9", "xe host-list --minimal")).strip().split(",") == hosts


async def test_pool_join_via_a_slave_is_refused_with_host_is_slave(sim_factory: Any) -> None:
    sim = await sim_factory(scenario="onboarding")
    r = await run(sim, "plot9", f"xe pool-join master-address={addr(sim, 'plot2')} master-username=root master-password=xenroot")
    assert (r.exit_status, r.stdout) == (1, b"")
    expected = in_release_wording(golden("error-host-is-slave-supporter.txt"), "HOST_IS_SLAVE")
    expected = expected.replace(b"10.0.0.11", addr(sim, "plot1").encode())
    assert r.stderr == expected


# ----------------------------------------------------------------------------- database replication


async def test_generation_grows_and_reaches_reachable_slaves(sim: Simulator) -> None:
    gen = "cat /var/lib/xcp/state.db.generation"
    before = {f"plot{i}": int(await out(sim, f"plot{i}", gen)) for i in range(1, 9)}
    assert len(set(before.values())) == 1
    await sim.fault("cable-pull", "plot8")
    r = await run(sim, "plot2", SR_CREATE.format(dev="/dev/sdb1", host=uuid_of(sim, "plot3"), name="plot3"))
    assert r.exit_status == 0
    after = int(await out(sim, "plot1", gen))
    assert after > before["plot1"]
    for i in range(2, 8):
        async def same(h: str = f"plot{i}") -> bool:
            return int(await out(sim, h, gen)) == after

        await eventually(same, 3.0, f"plot{i} has generation {after}")
    await sim.fault("cable-restore", "plot8")
    assert int(await out(sim, "plot8", gen)) == before["plot8"]  # missed the push while cut off


# ----------------------------------------------------------------------------- files and the shell subset


PARTITION_ROW = re.compile(r"^[ \d]{4}  [ \d]{7} [ \d]{10} \S+$")


async def test_proc_partitions(sim: Simulator) -> None:
    p3 = await out(sim, "plot3", "cat /proc/partitions")
    assert p3.startswith("major minor  #blocks  name\n\n")
    rows = p3.split("\n")[2:]
    assert rows[-1] == ""
    rows = rows[:-1]
    assert all(PARTITION_ROW.match(r) for r in rows), rows
    assert [r.split()[3] for r in rows] == ["sda", "sda1", "sda2", "sda3", "sda4", "sda5", "sda6", "sdb", "sdb1"]
    # Rows the golden text shares with plot3 are byte-identical (same kernel format).
    gold = golden("proc-partitions.txt").decode().split("\n")
    assert gold[:2] == ["major minor  #blocks  name", ""]
    shared = [g for g in gold[2:] if g and g.split()[3] in ("sda", "sda1", "sda2", "sda4", "sda5", "sda6", "sdb", "sdb1")]
    assert len(shared) == 8 and all(g in rows for g in shared)
    p4 = await out(sim, "plot4", "cat /proc/partitions")
    names4 = [r.split()[3] for r in p4.split("\n")[2:] if r]
    assert [n for n in names4 if n.startswith("sdb")] == ["sdb", "sdb1", "sdb2"]
    p1 = await out(sim, "plot1", "cat /proc/partitions")
    assert "sdb" not in p1


async def test_inventory_and_hostname(sim: Simulator) -> None:
    inv = await out(sim, "plot4", "cat /etc/xensource-inventory")
    lines = inv.split("\n")
    assert lines[-1] == ""
    assert all(re.match(r"^[A-Z0-9_]+='[^']*'$", ln) for ln in lines[:-1])
    values = dict(ln.split("=", 1) for ln in lines[:-1])
    assert values["INSTALLATION_UUID"] == f"'{uuid_of(sim, 'plot4')}'"
    assert values["MANAGEMENT_INTERFACE"] == "'xenbr0'"
    assert values["PRIMARY_DISK"].startswith("'/dev/disk/by-id/")
    assert await out(sim, "plot4", "cat /etc/hostname") == "plot4\n"
    conf = await run(sim, "plot4", "cat /etc/xensource/pool.conf")
    assert conf.stdout == f"slave:{addr(sim, 'plot1')}".encode()  # no trailing newline


async def test_cat_missing_file(sim: Simulator) -> None:
    r = await run(sim, "plot2", "cat /etc/nosuch")
    assert (r.exit_status, r.stdout) == (1, b"")
    assert r.stderr == b"cat: /etc/nosuch: No such file or directory\n"
    r = await run(sim, "plot2", "cat /etc/hostname /etc/nosuch")
    assert (r.exit_status, r.stdout) == (1, b"plot2\n")
    assert r.stderr == b"cat: /etc/nosuch: No such file or directory\n"


async def test_head_headers(sim: Simulator) -> None:
    r = await run(sim, "plot3", "head -c 5 /etc/hostname /etc/xensource/pool.conf")
    assert r.exit_status == 0
    assert r.stdout == b"==> /etc/hostname <==\nplot3\n==> /etc/xensource/pool.conf <==\nslave"
    r = await run(sim, "plot3", "head -c 100 /etc/hostname")
    assert r.stdout == b"plot3\n"  # one file: no header


async def test_head_sections_golden(sim: Simulator) -> None:
    h = sim.pool.host("plot3")
    inventory = (GOLDEN / "xensource-inventory.txt").read_bytes()
    h.write("/etc/xensource/pool.conf", "slave:10.0.0.11")
    h.write("/etc/xensource-inventory", inventory)
    h.write("/var/lib/xcp/state.db.generation", "4711")
    h.write("/partitions", golden("proc-partitions.txt"))
    r = await run(
        sim,
        "plot3",
        "head -v -c 65536 -- etc/xensource/pool.conf etc/xensource-inventory var/lib/xcp/state.db.generation etc/missing; "
        "printf '\\n==> %s <==\\n' partitions; cat partitions",
    )
    assert r.stdout == golden("head-sections.txt")
    assert r.stderr == b"head: cannot open 'etc/missing' for reading: No such file or directory\n"
