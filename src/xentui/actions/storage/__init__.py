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

The package, side by side (the console's panes are in `xentui.ui.panes.storage`):

* `devices` — `classify_devices`, `parse_mounts`, `parse_pvs`, `DeviceStatus`;
* `gather` — `gather_storage`, `read_host_storage`, `hosts_with_spare_devices`,
  `StorageFacts`;
* `plan` — `plan_local_sr`, `LocalSRPlan` (`as_plan`: the one-step plan the
  runner confirms, runs, audits and reads back);
* `guards` — sr-create as a kind of step: its command, and its read-back
  (the SR the command printed must be listed by the host's own sr-list).
"""

from __future__ import annotations

from xentui.actions.storage import guards as _guards  # noqa: F401  (registers the sr-create step's rules)
from xentui.actions.storage.devices import NEVER_OFFERED, DeviceStatus, classify_devices, parse_mounts, parse_pvs
from xentui.actions.storage.gather import StorageFacts, gather_command, gather_storage, hosts_with_spare_devices, read_host_storage
from xentui.actions.storage.plan import SR_CREATE_TIMEOUT, LocalSRPlan, plan_local_sr, propose_name_label

__all__ = [
    "NEVER_OFFERED",
    "SR_CREATE_TIMEOUT",
    "DeviceStatus",
    "LocalSRPlan",
    "StorageFacts",
    "classify_devices",
    "gather_command",
    "gather_storage",
    "hosts_with_spare_devices",
    "parse_mounts",
    "parse_pvs",
    "plan_local_sr",
    "propose_name_label",
    "read_host_storage",
]
