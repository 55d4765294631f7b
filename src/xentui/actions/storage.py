"""Local storage from a spare disk or partition: which devices are free, and the sr-create.

What an admin did by hand (read /proc/partitions, guess, paste a long
`xe sr-create` whose quotes broke), done from the host's own facts:

1. `gather_storage(session, host_uuid)` reads, in one call, /proc/partitions,
   /proc/mounts, the inventory (PRIMARY_DISK), `pvs`, then resolves the
   system disk and every SR device of the host with `readlink -f` (they are
   often /dev/disk/by-id/... links), and lists the host's PBDs and SR names.
2. `classify_devices(...)` (pure) says for every disk and partition whether
   it is free, and if not, why: the system disk or one of its partitions,
   mounted, an LVM physical volume, or the device of an SR on this host.
   A partition of a disk used whole is not free, nor is a disk with a used
   partition; loop, ram, optical and device-mapper devices are never offered.
3. `plan_local_sr(...)` (pure) builds the exact command with a proposed
   name-label `Local storage 2 on <hostname>` (next number if taken); every
   value is shell-quoted, so any name-label (spaces, curly quotes, `$`,
   backticks, non-ASCII) reaches xe as exactly one argument.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Protocol

from pydantic import BaseModel

from ..xe import commands as xc
from .guards import register_step
from .plan import Plan, Step, StepAction

if TYPE_CHECKING:
    from ..engine.pool import PoolEngine
from ..xe.files import FileParseError, Inventory, parse_head_sections, parse_partitions
from ..xe.records import XeParseError, parse_map, parse_records

NEVER_OFFERED = re.compile(r"^(loop|ram|zram|sr|fd|dm-|nbd|md)\d*")
PARTITIONS, MOUNTS, INVENTORY, PVS = "/proc/partitions", "/proc/mounts", "/etc/xensource-inventory", "pvs"


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


@dataclass
class StorageFacts:
    """What gather_storage learned on one host."""

    host: str
    host_uuid: str
    hostname: str
    devices: list[DeviceStatus] = field(default_factory=list)
    sr_names: set[str] = field(default_factory=set)
    error: str | None = None


def _dev_name(path: str) -> str:
    return path.strip().removeprefix("/dev/").removeprefix("mapper/")


def parse_mounts(text: str) -> dict[str, str]:
    """/proc/mounts → {device kernel name: mount point} for /dev devices."""
    mounted: dict[str, str] = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 2 and cols[0].startswith("/dev/"):
            mounted[_dev_name(cols[0])] = cols[1].replace("\\040", " ")
    return mounted


def parse_pvs(text: str) -> dict[str, str]:
    """`pvs --noheadings -o pv_name,vg_name` → {device kernel name: VG name ('' if none)}."""
    pvs: dict[str, str] = {}
    for line in text.splitlines():
        cols = line.split()
        if cols and cols[0].startswith("/dev/"):
            pvs[_dev_name(cols[0])] = cols[1] if len(cols) > 1 else ""
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


class Runner(Protocol):
    async def run(self, command: str, timeout: float, stdin: str | None = None, record: bool = True): ...


def gather_command() -> str:
    return (
        xc.read_files([PARTITIONS, MOUNTS, INVENTORY])
        + "; "
        + xc.section_marker(PVS)
        + "; "
        + shlex.join(["pvs", "--noheadings", "-o", "pv_name,vg_name"])
    )


def _whole_rows(text: str) -> str:
    """/proc/partitions as read, minus a last row `head -c` cut in the middle.

    The file always ends with a newline; when it is longer than what head
    reads (HEAD_MAX_BYTES), the last row is cut anywhere: `sdc1` would read as
    the disk `sdc`, or as a device `s`.  That partial row is dropped.  A short
    file without its newline is left alone (it is malformed: the parser says so).
    """
    if text and not text.endswith("\n") and len(text.encode("utf-8", "surrogateescape")) >= xc.HEAD_MAX_BYTES:
        return text[: text.rfind("\n") + 1]
    return text


async def gather_storage(session: Runner, host: str, host_uuid: str, hostname: str, timeout: float) -> StorageFacts:
    """Read everything classify_devices needs from one host (three bounded calls)."""
    facts = StorageFacts(host=host, host_uuid=xc.validate_uuid(host_uuid), hostname=hostname)
    r = await session.run(gather_command(), timeout)
    if r.error or not r.stdout:
        facts.error = r.error or r.stderr.strip() or f"exit {r.exit_status}"
        return facts
    sections = parse_head_sections(r.stdout)
    inv = Inventory.from_text(sections.get(INVENTORY, ""))
    pbd_cmd = xc.timeout_wrapped(timeout, xc.pbd_list(host_uuid=facts.host_uuid, params=["sr-uuid", "device-config"]))
    sr_cmd = xc.timeout_wrapped(timeout, xc.sr_list(params=["uuid", "name-label"]))
    pbds_r = await session.run(pbd_cmd, timeout + 1)
    srs_r = await session.run(sr_cmd, timeout + 1)
    names: dict[str, str] = {}
    sr_paths: dict[str, str] = {}
    try:
        for rec in parse_records(srs_r.stdout if srs_r.ok else ""):
            names[rec.get("uuid", "")] = rec.get("name-label", "")
        for rec in parse_records(pbds_r.stdout if pbds_r.ok else ""):
            device = parse_map(rec.get("device-config", "")).get("device")
            if device:
                sr = rec.get("sr-uuid", "")
                sr_paths[device] = names.get(sr) or sr
    except XeParseError as e:
        facts.error = f"unreadable xe output: {e}"
        return facts
    if not pbds_r.ok:
        facts.error = f"xe pbd-list: {pbds_r.error or pbds_r.stderr.strip()}"
        return facts
    facts.sr_names = {n for n in names.values() if n}
    to_resolve = [p for p in [inv.primary_disk, *sr_paths] if p]
    resolved: dict[str, str] = {}
    if to_resolve:
        rl = await session.run(shlex.join(["readlink", "-f", "--", *to_resolve]), timeout)
        lines = rl.stdout.splitlines() if rl.ok else []
        if len(lines) == len(to_resolve):
            resolved = dict(zip(to_resolve, lines))
    system = _dev_name(resolved.get(inv.primary_disk or "", inv.primary_disk or "")) if inv.primary_disk else None
    sr_devices = {_dev_name(resolved.get(path, path)): sr for path, sr in sr_paths.items()}
    try:
        facts.devices = classify_devices(
            _whole_rows(sections.get(PARTITIONS, "")), parse_mounts(sections.get(MOUNTS, "")), parse_pvs(sections.get(PVS, "")),
            sr_devices, system,
        )
    except FileParseError as e:
        facts.error = f"unreadable /proc/partitions: {e}"
    return facts


#: an sr-create formats the device (LVM): seconds, even a minute on a big disk
SR_CREATE_TIMEOUT = 120.0


class LocalSRPlan(BaseModel):
    host: str
    device: str
    name_label: str
    command: str
    why: str
    host_uuid: str = ""

    def as_plan(self, explanation: str = "", timeout: float = SR_CREATE_TIMEOUT) -> Plan:
        """This sr-create as a one-step plan for `PlanRunner` (which confirms, runs, audits, reads it back)."""
        step = Step(
            host=self.host,
            command=self.command,
            why=explanation or self.why,
            precondition=f"/dev/{self.device} is still free on {self.host}",
            verify=f"xe sr-list uuid=<printed UUID> on {self.host} names {self.name_label!r}",
            action=StepAction.SR_CREATE,
            target_uuid=self.host_uuid,
            device=self.device,
            name_label=self.name_label,
            timeout=max(SR_CREATE_TIMEOUT, timeout),
        )
        return Plan(
            kind="sr-create",
            title=f"Create local SR {self.name_label!r} on {self.host} (/dev/{self.device})",
            verdict="",
            steps=[step],
        )


def propose_name_label(hostname: str, taken: Iterable[str]) -> str:
    return xc.name_label_for_local_sr(hostname, frozenset(taken))


def plan_local_sr(storage: StorageFacts, device: str, name_label: str | None = None) -> LocalSRPlan:
    """The exact sr-create for a free device (refuses a device that is not free)."""
    match = [d for d in storage.devices if d.name == device]
    if not match:
        raise ValueError(f"{storage.host}: no device {device!r} in /proc/partitions")
    dev = match[0]
    if not dev.free:
        raise ValueError(f"{storage.host}: /dev/{device} is not free: {'; '.join(dev.reasons)}")
    label = name_label if name_label is not None else propose_name_label(storage.hostname, storage.sr_names)
    command = xc.sr_create_local(device, storage.host_uuid, label)
    return LocalSRPlan(
        host=storage.host, device=device, name_label=label, command=command, host_uuid=storage.host_uuid,
        why=f"/dev/{device} ({dev.size}) is free on {storage.host}: make it a local LVM SR",
    )


async def read_host_storage(engine: PoolEngine | None, host: str, timeout: float, pool: str = "") -> StorageFacts:
    """`gather_storage` for one host of a live pool, through the engine's own session to it.

    Says why instead when it cannot read (recorded facts, an unknown host, a
    UUID not learned yet, unreachable); never raises for a parser or
    transport bug (the error is in `StorageFacts.error`).
    """
    f = engine.facts.get(host) if engine is not None else None
    uuid, hostname = (f.uuid or "", f.hostname or host) if f is not None else ("", host)
    session = engine.sessions.get(host) if engine is not None else None
    why: str | None = None
    if engine is None:
        why = "the console shows recorded facts: nothing can be read or run"
    elif session is None:
        why = f"{host} is not a host of pool {pool}"
    elif f is None or f.uuid is None:
        why = f"{host}: its UUID is not known yet (not reachable, or not probed yet)"
    elif not f.reachable:
        why = f.ssh_error or f"{host} is not reachable"
    if why is not None or session is None:
        return StorageFacts(host=host, host_uuid=uuid, hostname=hostname, error=why)
    try:
        return await gather_storage(session, host, uuid, hostname, timeout)
    except Exception as e:  # a parser or transport bug: shown, never fatal
        return StorageFacts(host=host, host_uuid=uuid, hostname=hostname, error=f"{type(e).__name__}: {e}")


def hosts_with_spare_devices(pool: Iterable[StorageFacts]) -> dict[str, list[DeviceStatus]]:
    """The pool at a glance: host → its free devices (hosts with none omitted)."""
    return {s.host: [d for d in s.devices if d.free] for s in pool if any(d.free for d in s.devices)}


# --------------------------------------------------------------------------- the runner's guard rails


register_step(
    StepAction.SR_CREATE,
    lambda s: xc.sr_create_local(s.device or "", s.target_uuid or "", s.name_label or ""),
)
