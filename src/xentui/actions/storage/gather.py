"""Reading a host's storage facts over its session: files, pvs, PBDs and SRs, links resolved."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Protocol

from xentui.xe import commands as xc
from xentui.xe.files import FileParseError, Inventory, parse_head_sections
from xentui.xe.records import XeParseError, parse_map, parse_records

from xentui.actions.storage.devices import DeviceStatus, classify_devices, dev_name, parse_mounts, parse_pvs

if TYPE_CHECKING:
    from xentui.engine.pool import PoolEngine

__all__ = ["StorageFacts", "gather_command", "gather_storage", "hosts_with_spare_devices", "read_host_storage"]

PARTITIONS, MOUNTS, INVENTORY, PVS = "/proc/partitions", "/proc/mounts", "/etc/xensource-inventory", "pvs"


@dataclass
class StorageFacts:
    """What gather_storage learned on one host."""

    host: str
    host_uuid: str
    hostname: str
    devices: list[DeviceStatus] = field(default_factory=list)
    sr_names: set[str] = field(default_factory=set)
    error: str | None = None


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


def sr_device_paths(device_config: str) -> list[str]:
    """The devices a PBD's device-config gives its SR: ``device: /dev/sdb,/dev/sdc`` is both.

    An LVM or EXT SR may span several devices (SM's ``device`` key takes a comma-separated
    list), and each of them belongs to that SR: none is a free disk.
    """
    device = parse_map(device_config).get("device", "")
    return [d.strip() for d in device.split(",") if d.strip()]


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
            sr = rec.get("sr-uuid", "")
            for device in sr_device_paths(rec.get("device-config", "")):
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
    system = dev_name(resolved.get(inv.primary_disk or "", inv.primary_disk or "")) if inv.primary_disk else None
    sr_devices = {dev_name(resolved.get(path, path)): sr for path, sr in sr_paths.items()}
    try:
        facts.devices = classify_devices(
            _whole_rows(sections.get(PARTITIONS, "")), parse_mounts(sections.get(MOUNTS, "")), parse_pvs(sections.get(PVS, "")),
            sr_devices, system,
        )
    except FileParseError as e:
        facts.error = f"unreadable /proc/partitions: {e}"
    return facts


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
