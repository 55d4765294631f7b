"""Named scenarios from the field notes, and the hosts they are built from.

Every scenario starts from the same 8-host pool (plot1 master) with stable
UUIDs, so screenshots and tests are deterministic.  A scenario is the pool's
history replayed: e.g. `split-brain` is "plot1 lost its cable, plot2 was
promoted and recovered the others, plot1's cable came back".
"""

from __future__ import annotations

import copy
import uuid as uuidlib

from .ha import SimHA
from .releases import DEFAULT_RELEASE, RELEASES, Release, release
from .state import HostRec, PBDRec, PoolDB, SimHost, SimPool, SRRec, UpdateRec

SCENARIOS = {
    "healthy": "plot1 is master, every host follows it",
    "master-shutdown": "plot1 (master) was shut down; the slaves keep waiting for it",
    "master-cable-pulled": "plot1 (master) lost its cable: packets dropped, connections hang",
    "split-brain": "plot1 was cut off, plot2 promoted and recovered the rest; plot1 came back still master",
    "host-offline": "plot7 is shut down; the rest is healthy (designate-new-master would fail)",
    "onboarding": "a healthy pool plus plot9, a standalone host missing one update the pool has",
    "fresh-install": "every host freshly installed and standalone: the release's default records only",
    "ha-master-lost": "HA enabled; plot1 (master) lost its cable: HA elects a new master after its timeout, plot1 self-fences",
    "ha-wedged": "HA enabled; plot1 (master) lost its cable and keeps the master lock: no survivor can become master",
}

NS = uuidlib.UUID("5b6e1f3c-6d2a-4c2e-9a51-7f6c0d9e3a10")
BLOCK = 1024
SOFTWARE_VERSION = RELEASES[DEFAULT_RELEASE].software_version()  # the default release's map
TOOLS_SR_DIR = "/opt/xensource/packages/iso"  # xapi_globs.ml tools_sr_dir
POOL_UPDATES = [("XS82ECU1001", "1.0"), ("XS82ECU1002", "1.0"), ("XS82ECU1003", "1.1")]

SYSTEM_DISK = [  # (name, minor, #blocks) of an XCP-ng 8.x system disk on 500 GB
    ("sda", 0, 488386584),
    ("sda1", 1, 18874368),  # /
    ("sda2", 2, 18874368),  # backup root: unmounted, still not free
    ("sda3", 3, 444818415),  # the default local SR (LVM PV)
    ("sda4", 4, 524288),  # boot/EFI
    ("sda5", 5, 4194304),  # /var/log
    ("sda6", 6, 1048576),  # swap
]
SPARE_DISKS = {  # spare storage per host index (1-based)
    3: [("sdb", 16, 488386584), ("sdb1", 17, 488385536)],
    4: [("sdb", 16, 976762584), ("sdb1", 17, 488380416), ("sdb2", 18, 488381144)],
    5: [("sdb", 16, 234431064)],
}


def host_uuid(name: str) -> str:
    return str(uuidlib.uuid5(NS, f"host/{name}"))


def stable_uuid(kind: str, name: str) -> str:
    return str(uuidlib.uuid5(NS, f"{kind}/{name}"))


def address_of(index: int) -> str:
    # Simulated management addresses live on loopback: nothing ever leaves this machine.
    return f"127.0.1.{10 + index}"


def make_host(pool: SimPool, index: int, name: str, db: PoolDB) -> SimHost:
    uuid = host_uuid(name)
    rel = release(db.release)
    version = rel.software_version()
    h = SimHost(name=name, uuid=uuid, address=address_of(index), root=pool.root / name, db=db, software_version=version)
    h.root.mkdir(parents=True, exist_ok=True)
    disk_id = f"/dev/disk/by-id/scsi-SATA_SIM_DISK_{name.upper()}"
    h.write(
        "/etc/xensource-inventory",
        "".join(
            f"{k}='{v}'\n"
            for k, v in [
                ("PRODUCT_BRAND", rel.product_brand),
                ("PRODUCT_NAME", "xenenterprise"),
                ("PRODUCT_VERSION", rel.product_version),
                ("PRODUCT_VERSION_TEXT", rel.product_version_text),
                ("PRODUCT_VERSION_TEXT_SHORT", rel.product_version_text),
                ("COMPANY_NAME", "Open Source" if rel.product_brand == "XCP-ng" else "Cloud Software Group, Inc."),
                ("COMPANY_NAME_SHORT", "Open Source" if rel.product_brand == "XCP-ng" else "CSG"),
                ("PLATFORM_NAME", "XCP"),
                ("PLATFORM_VERSION", rel.platform_version),
                ("BUILD_NUMBER", rel.build_number),
                ("INSTALLATION_DATE", "2023-10-02 09:12:45.093456"),
                ("PRIMARY_DISK", disk_id),
                ("BACKUP_PARTITION", disk_id + "-part2"),
                ("INSTALLATION_UUID", uuid),
                ("CONTROL_DOMAIN_UUID", stable_uuid("dom0", name)),
                ("DEFAULT_SR_PHYSDEVS", disk_id + "-part3"),
                ("DOM0_MEM", "8192"),
                ("DOM0_VCPUS", "8"),
                ("MANAGEMENT_INTERFACE", "xenbr0"),
                ("MANAGEMENT_ADDRESS_TYPE", "IPv4"),
            ]
        ),
    )
    h.write("/etc/hostname", name + "\n")
    rows = SYSTEM_DISK + SPARE_DISKS.get(index, [])
    # The kernel's show_partition(): "%4d  %7d %10llu %s\n".
    h.write(
        "/proc/partitions",
        "major minor  #blocks  name\n\n" + "".join(f"{8:4d}  {mi:7d} {bl:10d} {nm}\n" for nm, mi, bl in rows),
    )
    h.write(
        "/proc/mounts",
        "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
        "/dev/sda1 / ext3 rw,relatime 0 0\n"
        "/dev/sda5 /var/log ext3 rw,relatime 0 0\n"
        "/dev/sda4 /boot/efi vfat rw,relatime 0 0\n"
        "xenstore /var/lib/xenstored tmpfs rw,relatime,mode=755 0 0\n",
    )
    h.write("/var/log/xensource.log", "")
    h.path(disk_id).parent.mkdir(parents=True, exist_ok=True)
    for suffix, target in [("", "sda")] + [(f"-part{n}", f"sda{n}") for n in range(1, 7)]:
        by_id = h.path(disk_id + suffix)
        if not by_id.is_symlink():
            by_id.symlink_to(f"../../{target}")
        h.path(f"/dev/{target}").touch()
    for name_, _, _ in SPARE_DISKS.get(index, []):
        h.path(f"/dev/{name_}").touch()
    h.pvs["/dev/sda3"] = f"VG_XenStorage-{stable_uuid('local-sr', name)}"
    pool.hosts[name] = h
    return h


def local_srs(name: str, u: str) -> tuple[list[SRRec], list[PBDRec]]:
    """The SRs the installer gives every host: Local storage, DVD drives, Removable storage.

    Names, descriptions, sm-config types and i18n tags as a fresh XCP-ng /
    XenServer install shows them (set by the installer's first-boot scripts,
    not by xapi; see tests/fixtures/real/README.md)."""
    local = SRRec(
        stable_uuid("local-sr", name), "Local storage", "lvm", "user", False, u,
        other_config={"i18n-original-value-name_label": "Local storage", "i18n-key": "local-storage"},
        sm_config={"allocation": "thick", "use_vhd": "true", "devserial": f"scsi-SATA_SIM_DISK_{name.upper()}"},
        physical_size=455494057984, physical_utilisation=4194304,
    )
    dvd = SRRec(
        stable_uuid("dvd-sr", name), "DVD drives", "udev", "iso", False, u, "Physical DVD drives",
        other_config={"i18n-original-value-name_description": "Physical DVD drives",
                      "i18n-original-value-name_label": "DVD drives", "i18n-key": "local-hotplug-cd"},
        sm_config={"type": "cd"},
    )
    removable = SRRec(
        stable_uuid("removable-sr", name), "Removable storage", "udev", "disk", False, u,
        other_config={"i18n-original-value-name_label": "Removable storage", "i18n-key": "local-hotplug-disk"},
        sm_config={"type": "block"},
    )
    pbds = [
        PBDRec(stable_uuid("local-pbd", name), u, local.uuid,
               {"device": f"/dev/disk/by-id/scsi-SATA_SIM_DISK_{name.upper()}-part3"}),
        PBDRec(stable_uuid("dvd-pbd", name), u, dvd.uuid, {"location": "/dev/xapi/cd"}),
        PBDRec(stable_uuid("removable-pbd", name), u, removable.uuid, {"location": "/dev/xapi/block"}),
    ]
    return [local, dvd, removable], pbds


def tools_sr(rel: Release, master: str, members: list[str]) -> tuple[SRRec, list[PBDRec]]:
    """The guest-tools ISO SR the master creates (dbsync_master.ml create_tools_sr):
    iso/iso, shared, is-tools-sr, other-config in xapi's order, one PBD per host
    with device-config path/location = xapi_globs.ml tools_sr_dir."""
    sr = SRRec(
        stable_uuid("tools-sr", master), rel.tools_sr_name, "iso", "iso", True, None, rel.tools_sr_description,
        other_config={
            "xensource_internal": "true",
            "xenserver_tools_sr": "true",
            "i18n-key": "xenserver-tools",
            "i18n-original-value-name_label": rel.tools_sr_name,
            "i18n-original-value-name_description": rel.tools_sr_description,
        },
        is_tools_sr=True,
    )
    pbds = [
        PBDRec(stable_uuid("tools-pbd", name), host_uuid(name), sr.uuid, {"path": TOOLS_SR_DIR, "location": TOOLS_SR_DIR})
        for name in members
    ]
    return sr, pbds


def new_db(pool_name: str, master: str, members: list[str], gen: int = 4810, release_key: str = DEFAULT_RELEASE,
           updates: bool = True) -> PoolDB:
    rel = release(release_key)
    hosts = {}
    srs: dict[str, SRRec] = {}
    pbds: dict[str, PBDRec] = {}
    for i, name in enumerate(members, start=1):
        u = host_uuid(name)
        hosts[u] = HostRec(
            uuid=u,
            name_label=name,
            address=address_of(int(name.removeprefix("plot")) if name.removeprefix("plot").isdigit() else i),
            hostname=name,
            software_version=rel.software_version(),
            api_major=rel.api_major,
            api_minor=rel.api_minor,
            edition=rel.edition,
            control_domain_uuid=stable_uuid("dom0", name),
        )
        host_srs, host_pbds = local_srs(name, u)
        srs.update((s.uuid, s) for s in host_srs)
        pbds.update((p.uuid, p) for p in host_pbds)
    tools, tools_pbds = tools_sr(rel, master, members)
    srs[tools.uuid] = tools
    pbds.update((p.uuid, p) for p in tools_pbds)
    db = PoolDB(
        pool_uuid=stable_uuid("pool", pool_name or master),
        pool_name=pool_name,
        master_uuid=host_uuid(master),
        hosts=hosts,
        srs=srs,
        pbds=pbds,
        default_sr=stable_uuid("local-sr", master),
        generation=gen,
        release=rel.key,
    )
    if updates:
        for label, version in POOL_UPDATES:
            u = stable_uuid("update", label)
            db.updates[u] = UpdateRec(u, label, f"Security and bugfix update {label}", version, 2457600, list(hosts))
    return db


def build(pool: SimPool, n: int, scenario: str, release_key: str = DEFAULT_RELEASE) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    release(release_key)  # unknown release: ValueError before anything is built
    names = [f"plot{i}" for i in range(1, n + 1)]
    if scenario == "fresh-install":
        # A fresh install is its own pool: empty pool name-label, no updates.
        for i, name in enumerate(names, start=1):
            h = make_host(pool, i, name, new_db("", name, [name], gen=1, release_key=release_key, updates=False))
            h.write("/etc/xensource/pool.conf", "master")
            h.save_generation()
        return
    db = new_db("plots", names[0], names, release_key=release_key)
    for i, name in enumerate(names, start=1):
        make_host(pool, i, name, copy.deepcopy(db))
        h = pool.hosts[name]
        h.write("/etc/xensource/pool.conf", "master" if i == 1 else f"slave:{address_of(1)}")
        h.save_generation()
    if scenario == "onboarding":
        solo = new_db("plot9-pool", "plot9", ["plot9"], gen=812, release_key=release_key)
        missing = stable_uuid("update", POOL_UPDATES[-1][0])
        del solo.updates[missing]
        h = make_host(pool, n + 1, "plot9", solo)
        h.write("/etc/xensource/pool.conf", "master")
        h.save_generation()
        h.write("/tmp/README-sim.txt", "Upload update files here, e.g. /tmp/XS82ECU1003.iso\n")


async def settle(pool: SimPool, scenario: str) -> None:
    """Start every toolstack, then replay the scenario's history."""
    hosts = list(pool.hosts.values())
    for h in hosts:  # masters first, so slaves find them
        if h.pool_conf == "master":
            pool.xapi_start(h)
    for h in hosts:
        if h.pool_conf != "master":
            pool.xapi_start(h)
    if scenario in ("ha-master-lost", "ha-wedged"):
        enable_ha(pool)
        pool.ha.stuck_lock = scenario == "ha-wedged"
        pool.set_cable(pool.host("plot1"), False)
    if scenario == "master-shutdown":
        pool.power_off(pool.host("plot1"))
    elif scenario == "master-cable-pulled":
        pool.set_cable(pool.host("plot1"), False)
    elif scenario == "host-offline" and "plot7" in pool.hosts:
        pool.power_off(pool.host("plot7"))
    elif scenario == "split-brain":
        old, new = pool.host("plot1"), pool.host("plot2")
        # plot1 loses its cable; plot2 is promoted and recovers every host it reaches.
        pool.set_cable(old, False)
        new.write("/etc/xensource/pool.conf", "master")
        pool.xapi_start(new)
        for h in hosts:
            if h not in (old, new):
                h.write("/etc/xensource/pool.conf", f"slave:{new.address}")
                pool.xapi_start(h)
        for _ in range(4):  # the new master's database moves on
            pool.commit(new)
        # plot1's cable comes back: its xapi never restarted, so it still holds master.
        pool.set_cable(old, True)


def enable_ha(pool: SimPool) -> SimHA:
    """The pool as `xe pool-ha-enable` leaves it: every host armed, the daemons running (ha.py)."""
    if pool.ha is None:
        pool.ha = SimHA(pool)
    pool.ha.arm()
    pool.notify("ha enabled")
    return pool.ha
