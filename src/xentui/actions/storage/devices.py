"""Which disks and partitions of a host may hold a new SR, and why not (pure)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from xentui.xe.files import parse_partitions

__all__ = ["NEVER_OFFERED", "DeviceStatus", "classify_devices", "dev_name", "parse_mounts", "parse_pvs"]

NEVER_OFFERED = re.compile(r"^(loop|ram|zram|sr|fd|dm-|nbd|md)\d*")


class DeviceStatus(BaseModel):
    """One disk or partition of a host, and whether it may hold a new SR."""

    name: str  # kernel name: sdb, sdb1, nvme0n1p2
    size: str  # human units
    blocks: int
    is_partition: bool
    disk: str
    free: bool
    reasons: list[str] = []  # why not free (empty when free)
    notes: list[str] = []  # free, but worth knowing (e.g. partitions that would be overwritten)

    @property
    def device_path(self) -> str:
        return f"/dev/{self.name}"


def dev_name(path: str) -> str:
    return path.strip().removeprefix("/dev/").removeprefix("mapper/")


def parse_mounts(text: str) -> dict[str, str]:
    """/proc/mounts → {device kernel name: mount point} for /dev devices."""
    mounted: dict[str, str] = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 2 and cols[0].startswith("/dev/"):
            mounted[dev_name(cols[0])] = cols[1].replace("\\040", " ")
    return mounted


def parse_pvs(text: str) -> dict[str, str]:
    """`pvs --noheadings -o pv_name,vg_name` → {device kernel name: VG name ('' if none)}."""
    pvs: dict[str, str] = {}
    for line in text.splitlines():
        cols = line.split()
        if cols and cols[0].startswith("/dev/"):
            pvs[dev_name(cols[0])] = cols[1] if len(cols) > 1 else ""
    return pvs


def classify_devices(
    partitions_text: str,
    mounts: dict[str, str],
    pvs: dict[str, str],
    sr_devices: dict[str, str],
    system_disk: str | None,
) -> list[DeviceStatus]:
    """Every disk and partition with free/not free and why (pure).

    `sr_devices` maps a device kernel name to the SR using it (name or uuid);
    `system_disk` is the kernel name of PRIMARY_DISK once resolved.
    """
    rows = parse_partitions(partitions_text)
    by_disk: dict[str, list[str]] = {}
    for p in rows:
        if p.is_partition:
            by_disk.setdefault(p.disk_name, []).append(p.name)

    def own_reasons(name: str) -> list[str]:
        reasons = []
        if name in mounts:
            reasons.append(f"mounted on {mounts[name]}")
        if name in pvs:
            vg = pvs[name]
            reasons.append(f"LVM physical volume of {vg}" if vg else "LVM physical volume")
        if name in sr_devices:
            reasons.append(f"device of SR {sr_devices[name]}")
        return reasons

    out: list[DeviceStatus] = []
    for p in rows:
        if NEVER_OFFERED.match(p.name):
            continue
        reasons: list[str] = []
        notes: list[str] = []
        if system_disk and p.disk_name == system_disk:
            reasons.append("system disk (PRIMARY_DISK)" if not p.is_partition else f"partition of the system disk {system_disk}")
        reasons += own_reasons(p.name)
        if p.is_partition:
            parent = own_reasons(p.disk_name)
            if parent:
                reasons.append(f"its disk {p.disk_name} is in use ({parent[0]})")
        else:
            children = by_disk.get(p.name, [])
            busy = [c for c in children if own_reasons(c)]
            if busy:
                reasons.append(f"partition {busy[0]} is in use ({own_reasons(busy[0])[0]})")
            elif children:
                notes.append(f"holds partitions {', '.join(children)}: using the whole disk erases them")
        if p.blocks < 1024 * 1024 and not reasons:
            notes.append("smaller than 1 GiB")
        out.append(
            DeviceStatus(
                name=p.name, size=p.human_size(), blocks=p.blocks, is_partition=p.is_partition,
                disk=p.disk_name, free=not reasons, reasons=reasons, notes=notes,
            )
        )
    return out
