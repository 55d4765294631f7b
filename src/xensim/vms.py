"""Virtual machines: what the pool database says, and where each one really runs.

Two views, kept apart on purpose (xcp-ng/xcp issue 500 is the gap between them):

* the database (`PoolDB.vms`, one copy per host like the rest of the DB):
  power-state, resident-on, is-control-domain, ha-restart-priority,
  name-label, as `xe vm-list` prints them;
* the truth (`SimHost.domains`): the domains a powered host really runs.
  A host whose cable was pulled keeps running its domains; a host powered
  off runs none.  `RunLedger` records every domain start and stop with its
  time, so a test can assert that no VM ever ran on two hosts at once.

The operations follow xapi at v24.40.0 (line numbers there; v1.249.42 and
v25.39.0 are the same unless said):

* `VM.power_state_reset` (`xapi_vm.ml:459-527`): a control domain is
  CANNOT_RESET_CONTROL_DOMAIN; a Running/Paused VM resident on the master
  whose domain still exists is DOMAIN_EXISTS; resident on another host that
  `is_host_alive` (`xapi_host.ml:960-989`: contacted only if
  host_metrics.live, an unreachable host is "assumed dead") is HOST_IS_LIVE;
  otherwise power-state halted and resident-on null
  (`xapi_vm_lifecycle.ml:909-912`).  A halted VM is reset without a check.
  This guard is not a fence: a cut-off host that still runs passes it.
* `VM.start` / `VM.start_on`: VM_BAD_POWER_STATE [vm; halted; actual]
  (`xapi_vm_lifecycle.ml:262-269`, lowercase states); `on=` a host that is
  not live is HOST_NOT_LIVE (`xapi_vm_helpers.ml:392-395`); no live host at
  all is NO_HOSTS_AVAILABLE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import PoolDB, SimHost, SimPool

# Record_util.vm_power_state_to_lowercase_string
POWER_STATES = ("halted", "paused", "running", "suspended")
# constants.ml ha_restart / ha_best_effort; "" = not protected
HA_PRIORITIES = ("restart", "best-effort", "")


@dataclass
class VMRec:
    """One VM as the pool database holds it (the fields xentui reads, records.ml names)."""

    uuid: str
    name_label: str
    power_state: str = "halted"
    resident_on: str = ""  # host UUID; "" is Ref.null (printed <not in database>)
    is_control_domain: bool = False
    ha_restart_priority: str = ""
    name_description: str = ""


@dataclass(frozen=True)
class DomainEvent:
    at: float  # time.monotonic()
    vm: str
    host: str  # host name
    started: bool  # True: domain created, False: destroyed
    why: str


@dataclass
class RunLedger:
    """Every domain start and stop: the truth table of where each VM really ran."""

    events: list[DomainEvent] = field(default_factory=list)
    running: dict[str, set[str]] = field(default_factory=dict)  # vm uuid -> host names running it now
    twice: list[tuple[float, str, tuple[str, ...]]] = field(default_factory=list)  # (when, vm, hosts)

    def start(self, vm: str, host: str, why: str) -> None:
        self.events.append(DomainEvent(time.monotonic(), vm, host, True, why))
        hosts = self.running.setdefault(vm, set())
        hosts.add(host)
        if len(hosts) > 1:
            self.twice.append((time.monotonic(), vm, tuple(sorted(hosts))))

    def stop(self, vm: str, host: str, why: str) -> None:
        if host in self.running.get(vm, set()):
            self.events.append(DomainEvent(time.monotonic(), vm, host, False, why))
            self.running[vm].discard(host)

    def where(self, vm: str) -> set[str]:
        return set(self.running.get(vm, set()))

    def ran_twice(self) -> list[tuple[float, str, tuple[str, ...]]]:
        """Every moment a VM ran on more than one host (empty: never)."""
        return list(self.twice)


def control_domain_rec(pool_db: "PoolDB", host_uuid: str) -> VMRec:
    """dom0 of a host, as xapi creates it (create_misc.ml: "Control domain on host: " ^ hostname)."""
    h = pool_db.hosts[host_uuid]
    return VMRec(
        uuid=h.control_domain_uuid,
        name_label=f"Control domain on host: {h.hostname}",
        power_state="running",
        resident_on=h.uuid,
        is_control_domain=True,
        name_description="The domain which manages physical devices and manages other domains",
    )


def all_vms(db: "PoolDB") -> list[VMRec]:
    """Every VM of the database, control domains included (vm-list lists them)."""
    doms = [control_domain_rec(db, u) for u, h in db.hosts.items() if h.control_domain_uuid]
    return doms + list(db.vms.values())


def add_vm(pool: "SimPool", name: str, on: str, uuid: str, ha_restart_priority: str = "") -> None:
    """A running VM on host `on`, in every host's copy of the database, its domain running there."""
    if ha_restart_priority not in HA_PRIORITIES:
        raise ValueError(f"ha-restart-priority {ha_restart_priority!r}: one of {HA_PRIORITIES}")
    host = pool.host(on)
    for h in pool.hosts.values():
        if h.db.pool_uuid == host.db.pool_uuid:
            h.db.vms[uuid] = VMRec(uuid, name, "running", host.uuid, False, ha_restart_priority)
    host.domains.add(uuid)
    pool.ledger.start(uuid, host.name, "created with the pool")


def stop_domains(pool: "SimPool", h: "SimHost", why: str) -> None:
    """The host lost power: every domain on it is gone (the database is not told)."""
    for vm in sorted(h.domains):
        pool.ledger.stop(vm, h.name, why)
    h.domains.clear()


def _vm(m: "SimHost", vm_uuid: str) -> VMRec:
    from .state import XapiFailure

    rec = m.db.vms.get(vm_uuid)
    if rec is None:
        for dom in all_vms(m.db):
            if dom.uuid == vm_uuid:
                return dom
        raise XapiFailure("UUID_INVALID", "VM", vm_uuid)
    return rec


async def power_state_reset(pool: "SimPool", m: "SimHost", vm_uuid: str) -> None:
    """Xapi_vm.power_state_reset on the master (not forwarded: message_forwarding.ml:2142-2145)."""
    from .state import XapiFailure

    rec = _vm(m, vm_uuid)
    if rec.is_control_domain:
        raise XapiFailure("CANNOT_RESET_CONTROL_DOMAIN", vm_uuid)
    if rec.power_state in ("running", "paused"):
        if rec.resident_on == m.uuid:
            if vm_uuid in m.domains:
                raise XapiFailure("DOMAIN_EXISTS", vm_uuid)  # domid not passed: prints <unknown>
        elif rec.resident_on in m.db.hosts:
            # Xapi_host.is_host_alive: live=false is "definitive"; a live host is asked, and one
            # that does not answer is "assumed dead".
            other = pool.by_uuid(rec.resident_on)
            live = m.db.hosts[rec.resident_on].live
            if live and other is not None and pool.can_reach(m, other) and pool.xapi_listening(other):
                raise XapiFailure("HOST_IS_LIVE", rec.resident_on)
    rec.power_state = "halted"
    rec.resident_on = ""
    pool.commit(m)


async def start(pool: "SimPool", m: "SimHost", vm_uuid: str, on: str | None) -> None:
    """VM.start / VM.start_on on the master: the checks, then the domain really starts."""
    from .state import XapiFailure

    rec = _vm(m, vm_uuid)
    if rec.power_state != "halted":
        raise XapiFailure("VM_BAD_POWER_STATE", vm_uuid, "halted", rec.power_state)
    if on is not None:
        hrec = m.db.hosts.get(on)
        if hrec is None:
            raise XapiFailure("UUID_INVALID", "host", on)
        if not hrec.live:
            raise XapiFailure("HOST_NOT_LIVE")
        target_uuid = on
    else:
        live = [u for u, h in m.db.hosts.items() if h.live and h.enabled]
        if not live:
            raise XapiFailure("NO_HOSTS_AVAILABLE")
        # fewest running VMs first, then name: deterministic placement
        load = {u: sum(1 for v in m.db.vms.values() if v.resident_on == u and v.power_state == "running") for u in live}
        target_uuid = min(live, key=lambda u: (load[u], m.db.hosts[u].name_label))
    target = pool.by_uuid(target_uuid)
    if target is None or not pool.can_reach(m, target) or not pool.xapi_listening(target):
        raise XapiFailure("HOST_OFFLINE", target_uuid)
    target.domains.add(vm_uuid)
    pool.ledger.start(vm_uuid, target.name, f"vm-start on {target.name}")
    rec.power_state = "running"
    rec.resident_on = target_uuid
    pool.commit(m)
