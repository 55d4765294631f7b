"""Named scenarios from the field notes, and the hosts they are built from.

Every scenario starts from the same 8-host pool (plot1 master) with stable
UUIDs, so screenshots and tests are deterministic.  A scenario is the pool's
history replayed: e.g. `split-brain` is "plot1 lost its cable, plot2 was
promoted and recovered the others, plot1's cable came back".
"""

from __future__ import annotations

import copy
import uuid as uuidlib

from .state import HostRec, PBDRec, PoolDB, SimHost, SimPool, SRRec, UpdateRec

SCENARIOS = {
    "healthy": "plot1 is master, every host follows it",
    "master-shutdown": "plot1 (master) was shut down; the slaves keep waiting for it",
    "master-cable-pulled": "plot1 (master) lost its cable: packets dropped, connections hang",
    "split-brain": "plot1 was cut off, plot2 promoted and recovered the rest; plot1 came back still master",
    "host-offline": "plot7 is shut down; the rest is healthy (designate-new-master would fail)",
    "onboarding": "a healthy pool plus plot9, a standalone host missing one update the pool has",
}

NS = uuidlib.UUID("5b6e1f3c-6d2a-4c2e-9a51-7f6c0d9e3a10")
BLOCK = 1024
SOFTWARE_VERSION = {
    "product_version": "8.2.1",
    "product_version_text": "8.2",
    "product_version_text_short": "8.2",
    "platform_name": "XCP",
    "platform_version": "3.2.1",
    "product_brand": "XCP-ng",
    "build_number": "release/yangtze/master/58",
    "hostname": "",
    "date": "2023-09-20",
    "dbv": "0.0.1",
    "xapi": "1.249",
    "xen": "4.13.5-9.38",
    "linux": "4.19.0+1",
    "xencenter_min": "2.21",
    "xencenter_max": "2.21",
    "network_backend": "openvswitch",
    "db_schema": "5.602",
}
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
    version = dict(SOFTWARE_VERSION, hostname=name)
    h = SimHost(name=name, uuid=uuid, address=address_of(index), root=pool.root / name, db=db, software_version=version)
    h.root.mkdir(parents=True, exist_ok=True)
    disk_id = f"/dev/disk/by-id/scsi-SATA_SIM_DISK_{name.upper()}"
    h.write(
        "/etc/xensource-inventory",
        "".join(
            f"{k}='{v}'\n"
            for k, v in [
                ("PRODUCT_BRAND", "XCP-ng"),
                ("PRODUCT_NAME", "xenenterprise"),
                ("PRODUCT_VERSION", "8.2.1"),
                ("PRODUCT_VERSION_TEXT", "8.2"),
                ("PRODUCT_VERSION_TEXT_SHORT", "8.2"),
                ("COMPANY_NAME", "Open Source"),
                ("COMPANY_NAME_SHORT", "Open Source"),
                ("PLATFORM_NAME", "XCP"),
                ("PLATFORM_VERSION", "3.2.1"),
                ("BUILD_NUMBER", "release/yangtze/master/58"),
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


def new_db(pool_name: str, master: str, members: list[str], gen: int = 4810) -> PoolDB:
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
            software_version=dict(SOFTWARE_VERSION, hostname=name),
            control_domain_uuid=stable_uuid("dom0", name),
        )
        sr = stable_uuid("local-sr", name)
        srs[sr] = SRRec(sr, "Local storage", "lvm", "user", False, u)
        pbd = stable_uuid("local-pbd", name)
        pbds[pbd] = PBDRec(pbd, u, sr, {"device": f"/dev/disk/by-id/scsi-SATA_SIM_DISK_{name.upper()}-part3"})
    db = PoolDB(
        pool_uuid=stable_uuid("pool", pool_name),
        pool_name=pool_name,
        master_uuid=host_uuid(master),
        hosts=hosts,
        srs=srs,
        pbds=pbds,
        default_sr=stable_uuid("local-sr", master),
        generation=gen,
    )
    for label, version in POOL_UPDATES:
        u = stable_uuid("update", label)
        db.updates[u] = UpdateRec(u, label, f"Security and bugfix update {label}", version, 2457600, list(hosts))
    return db


def add_tools_sr(db: PoolDB, host: str) -> str:
    """The guest-tools ISO SR every fresh install has (shared, is_tools_sr).

    Fields as xapi's dbsync_master.create_tools_sr makes it (v1.249.40 / v24.39.0
    ocaml/xapi/dbsync_master.ml): type and content-type iso, shared, SR.is_tools_sr
    true, other-config xensource_internal and xenserver_tools_sr (xapi_globs.tools_sr_tag),
    name "<product brand> Tools" (xapi_globs.tools_sr_name), device-config location
    path/location /opt/xensource/packages/iso, legacy_mode (tools_sr_pbd_device_config).
    """
    sr = stable_uuid("tools-sr", db.pool_name)
    db.srs[sr] = SRRec(
        sr, "XCP-ng Tools", "iso", "iso", True, None, name_description="XCP-ng Tools ISOs", is_tools_sr=True,
        other_config={"xensource_internal": "true", "xenserver_tools_sr": "true", "i18n-key": "xenserver-tools",
                      "i18n-original-value-name_label": "XCP-ng Tools",
                      "i18n-original-value-name_description": "XCP-ng Tools ISOs"},
    )
    pbd = stable_uuid("tools-pbd", host)
    db.pbds[pbd] = PBDRec(pbd, host_uuid(host), sr, {"path": "/opt/xensource/packages/iso", "location": "/opt/xensource/packages/iso", "legacy_mode": "true"})
    return sr


def build(pool: SimPool, n: int, scenario: str) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    names = [f"plot{i}" for i in range(1, n + 1)]
    db = new_db("plots", names[0], names)
    for i, name in enumerate(names, start=1):
        make_host(pool, i, name, copy.deepcopy(db))
        h = pool.hosts[name]
        h.write("/etc/xensource/pool.conf", "master" if i == 1 else f"slave:{address_of(1)}")
        h.save_generation()
    if scenario == "onboarding":
        solo = new_db("plot9-pool", "plot9", ["plot9"], gen=812)
        missing = stable_uuid("update", POOL_UPDATES[-1][0])
        del solo.updates[missing]
        add_tools_sr(solo, "plot9")
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
