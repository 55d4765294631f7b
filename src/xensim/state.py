"""The simulated pool: one state model shared by the `xe` and XenAPI front ends.

Behaviour follows ../shared/xapi-reference.md (sections 2-5):

* Every host keeps its own copy of the pool database (`PoolDB`).  The master's
  copy is authoritative; on every write the master pushes a copy to each slave
  it can reach (`state.db.generation` grows), so the freshest survivor holds
  the highest generation.
* A slave whose toolstack is running forwards every normal call to its master
  and waits for it with no timeout; only a short list of calls run locally.
* Emergency mode happens only when a slave's toolstack *starts* without its
  master (error HOST_STILL_BOOTING), or is unknown to it
  (HOST_UNKNOWN_TO_MASTER).  An emergency slave restarts its toolstack every
  `emergency_retry` seconds and tries again, like xapi.
* A master whose toolstack starts asks every known host whether it is a
  slave; if one answers that it is master, it demotes itself.  Unreachable
  hosts are skipped, which is how split brain survives a partition.

Nothing here imports from the rest of xentui: the simulator must not be
shaped by the engine it is used to test.
"""

from __future__ import annotations

import asyncio
import copy
import random
import shutil
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .ha import HA_ERRORS, local_armed
from .truth import TruthLog
from .vms import RunLedger, VMRec, stop_domains

# Calls a slave serves itself, never forwarding them to its master (reference §2).
LOCAL_CALLS = frozenset(
    {
        "pool.emergency_transition_to_master",
        "pool.emergency_reset_master",
        "host.is_in_emergency_mode",
        "host.emergency_ha_disable",
        "host.management_disable",
        "host.shutdown_agent",
        "session.slave_local_login_with_password",
    }
)

# Error descriptions, newer wording (reference §6).
ERROR_TEXT = {
    "HOST_OFFLINE": "You attempted an operation which involves a host which could not be contacted.",
    "HOST_IS_SLAVE": "You cannot make regular API calls directly on a supporter. Please pass API calls via the coordinator host.",
    "HOST_STILL_BOOTING": "The host toolstack is still initialising. Please wait.",
    "HOST_IS_LIVE": "This operation cannot be completed because the server is still live.",
    "CANNOT_CONTACT_HOST": "Cannot forward messages because the server cannot be contacted. The server may be switched off or there may be network connectivity problems.",
    "HOST_IN_EMERGENCY_MODE": "Cannot perform operation as the host is running in emergency mode.",
    "HOST_MASTER_CANNOT_TALK_BACK": "The coordinator reports that it cannot talk back to the supporter on the supplied management IP address.",
    "HOST_UNKNOWN_TO_MASTER": "The coordinator says the server is not known to it. Is the server in the coordinator's database and pointing to the correct coordinator? Are all servers using the same pool secret?",
    "HA_IS_ENABLED": "The operation could not be performed because HA is enabled on the Pool",
    "HOSTS_NOT_HOMOGENEOUS": "The hosts in this pool are not homogeneous.",
    "UUID_INVALID": "The uuid you supplied was invalid.",
    "SESSION_AUTHENTICATION_FAILED": "The credentials given by the user are incorrect, so access has been denied, and you have not been issued a session handle.",
    "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS": "The host joining the pool cannot already be a coordinator of another pool.",
    "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS": "The host joining the pool cannot contain any shared storage.",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION": "The host joining the pool must have the same API version as the pool coordinator.",
    "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA": "The host joining the pool must have the same database schema as the pool coordinator.",
    "SR_BACKEND_FAILURE": "Storage backend failure.",
    # ocaml/idl/datamodel_errors.ml v1.249.40
    "UPDATE_ALREADY_EXISTS": "The uploaded update already exists",
    "UPDATE_ALREADY_APPLIED": "This update has already been applied.",
    "INVALID_UPDATE": "The uploaded update package is invalid.",
    **HA_ERRORS,  # ha.py: HA_NOT_ENABLED, HA_HOST_CANNOT_ACCESS_STATEFILE, ...
    # VM power state (sim/vms.py); datamodel_errors.ml, the same text at v1.249.42, v24.40.0, v25.39.0
    "VM_BAD_POWER_STATE": "You attempted an operation on a VM that was not in an appropriate power state at the time; for example, you attempted to start a VM that was already running. The parameters returned are the VM's handle, and the expected and actual VM state at the time of the call.",
    "DOMAIN_EXISTS": "The operation could not be performed because a domain still exists for the specified VM.",
    "CANNOT_RESET_CONTROL_DOMAIN": "The power-state of a control domain cannot be reset.",
    "HOST_NOT_LIVE": "This operation cannot be completed as the server is not live.",
    "NO_HOSTS_AVAILABLE": "There were no servers available to complete the specified operation.",
    "INTERNAL_ERROR": "The server failed to handle your request, due to an internal error. The given message may give details useful for debugging the problem.",
}


class XapiFailure(Exception):
    """An API error: code plus parameters, as xapi raises them."""

    def __init__(self, code: str, *params: str) -> None:
        super().__init__(code, *params)
        self.code = code
        self.params = list(params)


class XapiUnavailable(Exception):
    """The toolstack is not listening (restarting or stopped)."""


def emergency_failure(h: "SimHost") -> XapiFailure:
    """The stored emergency-mode error, with the parameters xapi stores with it."""
    if h.emergency_error == "HOST_UNKNOWN_TO_MASTER":
        return XapiFailure(h.emergency_error, h.uuid)  # [localhost_uuid], a bare uuid
    return XapiFailure(h.emergency_error or "HOST_STILL_BOOTING")


def new_uuid(rng: random.Random) -> str:
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


# --------------------------------------------------------------------------- database


@dataclass
class HostRec:
    uuid: str
    name_label: str
    address: str
    hostname: str
    software_version: dict[str, str]
    api_major: int = 2
    api_minor: int = 21
    cpu_vendor: str = "GenuineIntel"
    external_auth_type: str = ""
    edition: str = "xcp-ng"
    enabled: bool = True
    live: bool = True
    resident_vms: list[str] = field(default_factory=list)
    control_domain_uuid: str = ""
    name_description: str = "Default install"


@dataclass
class SRRec:
    uuid: str
    name_label: str
    type: str
    content_type: str
    shared: bool
    host: str | None  # host uuid for a local SR
    name_description: str = ""
    other_config: dict[str, str] = field(default_factory=dict)
    sm_config: dict[str, str] = field(default_factory=dict)
    is_tools_sr: bool = False  # the guest-tools ISO SR (dbsync_master.ml create_tools_sr)
    physical_size: int = 0
    physical_utilisation: int = 0


@dataclass
class PBDRec:
    uuid: str
    host_uuid: str
    sr_uuid: str
    device_config: dict[str, str]
    currently_attached: bool = True


@dataclass
class UpdateRec:
    uuid: str
    name_label: str
    name_description: str
    version: str
    installation_size: int
    hosts: list[str]
    # xapi's values: restartHVM, restartPV, restartHost, restartXAPI (records.ml
    # after_apply_guidance_to_string, v1.249.40 / v24.39.0); printed joined with ", ".
    after_apply_guidance: list[str] = field(default_factory=lambda: ["restartXAPI"])
    enforce_homogeneity: bool = True


@dataclass
class PoolDB:
    pool_uuid: str
    pool_name: str
    master_uuid: str
    hosts: dict[str, HostRec]
    srs: dict[str, SRRec] = field(default_factory=dict)
    pbds: dict[str, PBDRec] = field(default_factory=dict)
    updates: dict[str, UpdateRec] = field(default_factory=dict)
    ha_enabled: bool = False
    tls_verification_enabled: bool = True
    default_sr: str = ""
    generation: int = 1
    release: str = "xcpng-8.2"  # which xapi prints this database's records (sim/releases.py)
    vms: dict[str, VMRec] = field(default_factory=dict)  # guest VMs (control domains derive from hosts)

    def host_by_address(self, address: str) -> HostRec | None:
        for h in self.hosts.values():
            if h.address == address:
                return h
        return None


# --------------------------------------------------------------------------- hosts


@dataclass
class SimHost:
    """One simulated physical host: its disk (a directory), power, cable, toolstack."""

    name: str
    uuid: str
    address: str  # simulated management address
    root: Path  # the host's filesystem
    db: PoolDB
    software_version: dict[str, str]
    # physical state
    powered: bool = True
    cable: bool = True
    xapi_hung: bool = False
    latency: float = 0.0
    jitter: float = 0.0
    # toolstack state
    xapi_state: str = "running"  # running | restarting | stopped
    running_role: str = "slave"  # the role xapi loaded when it started
    running_master_address: str | None = None
    emergency_error: str | None = None  # set while in emergency mode
    restart_task: asyncio.Task[None] | None = None
    ssh_port: int = 0
    forwarding: bool = True  # sshd allows TCP / stream-local forwarding
    pvs: dict[str, str] = field(default_factory=dict)  # LVM physical volumes: /dev path -> VG name
    # The sessions this host's running xapi holds (datamodel.ml: session is persist=PersistNothing,
    # so a toolstack restart forgets them): logins made on it as master, and slave-local logins.
    sessions: set[str] = field(default_factory=set)
    local_sessions: set[str] = field(default_factory=set)
    # The domains this host really runs (the truth, not the database): kept through a pulled
    # cable, gone with the power (sim/vms.py).
    domains: set[str] = field(default_factory=set)

    # -- files
    def path(self, p: str) -> Path:
        """Map an absolute host path into the host's root directory (jailed)."""
        parts = [x for x in Path(p).parts if x not in ("/", "", ".")]
        if ".." in parts:
            raise PermissionError(p)
        return self.root.joinpath(*parts)

    def read(self, p: str) -> bytes:
        return self.path(p).read_bytes()

    def write(self, p: str, data: str | bytes) -> None:
        target = self.path(p)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)

    @property
    def pool_conf(self) -> str:
        try:
            return self.read("/etc/xensource/pool.conf").decode(errors="replace").strip()
        except OSError:
            return "broken"

    def log(self, line: str) -> None:
        stamp = time.strftime("%b %d %H:%M:%S", time.gmtime())
        with self.path("/var/log/xensource.log").open("a") as f:
            f.write(f"{stamp} {self.name} xapi: [ info|{self.name}|0 |main|xapi] {line}\n")

    def save_generation(self) -> None:
        self.write("/var/lib/xcp/state.db.generation", f"{self.db.generation}\n")

    @property
    def is_master(self) -> bool:
        return self.xapi_state == "running" and self.running_role == "master" and not self.emergency_error


# --------------------------------------------------------------------------- the pool


@dataclass
class Timing:
    """Every wait of the simulator; tests shorten them."""

    fuse: float = 10.0  # toolstack restart after a transition ("in 10. seconds")
    boot: float = 0.5  # from power-on to xapi start
    emergency_retry: float = 120.0  # an emergency slave restarts xapi this often
    reach_connect: float = 0.05  # time a successful TCP connect takes
    # HA (ha.py): T, xhad.conf's HeartbeatTimeout (xapi's default 60; xapi refuses T < 10, tests shorten it)
    ha_timeout: float = 60.0
    ha_monitor: float = 20.0  # an armed slave's liveset poll (xapi_globs ha_monitor_interval)
    ha_tick: float = 1.0  # how often the simulated daemons re-evaluate
    ha_reboot: float = 5.0  # a fenced host's watchdog reboot, before its power-on
    ha_retry: float = 10.0  # on_server_restart retries ha_start_daemon this often
    ha_restart: float = 1.0  # xapi's restart after an HA role change (become_master / become_slave_of)


class SimPool:
    """All simulated hosts, their network, and the toolstack behaviour."""

    def __init__(self, root: Path, timing: Timing | None = None, seed: int = 1) -> None:
        self.root = root
        self.timing = timing or Timing()
        self.rng = random.Random(seed)
        self.hosts: dict[str, SimHost] = {}
        self.partitions: set[frozenset[str]] = set()
        self.changed = asyncio.Condition()
        self.listeners: list[Callable[[SimHost], Any]] = []  # power/cable observers (the network)
        self._version = 0
        self.truth = TruthLog()  # every real state, timestamped (the checker's oracle)
        self.ha: Any = None  # ha.SimHA once the pool has HA enabled
        self.ledger = RunLedger()  # where each VM really ran, and when (sim/vms.py)

    # -- lookup
    def host(self, name: str) -> SimHost:
        try:
            return self.hosts[name]
        except KeyError:
            raise KeyError(f"no simulated host {name!r}") from None

    def by_address(self, address: str) -> SimHost | None:
        for h in self.hosts.values():
            if h.address == address:
                return h
        return None

    def by_uuid(self, uuid: str) -> SimHost | None:
        for h in self.hosts.values():
            if h.uuid == uuid:
                return h
        return None

    # -- network
    def can_reach(self, a: SimHost, b: SimHost) -> bool:
        if a is b:
            return a.powered
        return (
            a.powered
            and b.powered
            and a.cable
            and b.cable
            and frozenset((a.name, b.name)) not in self.partitions
        )

    def xapi_listening(self, h: SimHost) -> bool:
        return h.powered and h.xapi_state == "running"

    # -- change notification (everything waiting on the pool re-checks)
    def notify(self, why: str = "change") -> None:
        self._version += 1
        if self.hosts:
            self.truth.record(self, why)

        async def _wake() -> None:
            async with self.changed:
                self.changed.notify_all()

        try:
            asyncio.get_running_loop().create_task(_wake())
        except RuntimeError:
            pass

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait, with no timeout (like xapi), until predicate() holds."""
        async with self.changed:
            await self.changed.wait_for(predicate)

    # ------------------------------------------------------------------ toolstack lifecycle
    def xapi_start(self, h: SimHost) -> None:
        """What xapi does when it starts: read pool.conf and take the role."""
        if not h.powered:
            return
        if self.ha is not None and self.ha.on_xapi_start(h):
            return
        h.xapi_state = "running"
        h.emergency_error = None
        h.sessions.clear()
        h.local_sessions.clear()
        conf = h.pool_conf
        if conf == "master":
            # check_no_other_masters: ask every known host whether it is a slave.
            for rec in list(h.db.hosts.values()):
                if rec.uuid == h.uuid:
                    continue
                other = self.by_uuid(rec.uuid)
                if other is None or not self.can_reach(h, other) or not self.xapi_listening(other):
                    continue  # unreachable hosts are skipped: split brain survives
                if other.is_master:
                    h.log(
                        "Detected another master in my database of known hosts. Aborting xapi startup "
                        f"and restarting as slave of host '{other.uuid}' ({other.address})"
                    )
                    h.write("/etc/xensource/pool.conf", f"slave:{other.address}")
                    self.xapi_start(h)
                    return
            h.running_role = "master"
            h.running_master_address = None
            h.db.master_uuid = h.uuid
            if h.uuid not in h.db.hosts:
                h.db.hosts[h.uuid] = self._host_rec(h)
            h.log("Pool role: master; database engine started")
            self.commit(h)
        elif conf.startswith("slave:"):
            address = conf.split(":", 1)[1]
            h.running_role = "slave"
            h.running_master_address = address
            master = self.by_address(address)
            if address == h.address:
                h.emergency_error = "HOST_ITS_OWN_SLAVE"
            elif master is None or not self.can_reach(h, master) or not master.is_master:
                h.emergency_error = "HOST_STILL_BOOTING"
                h.log("Connection to master died. I will continue to retry indefinitely")
                h.log("Cannot contact master: running in slave emergency mode")
            elif h.uuid not in master.db.hosts:
                h.emergency_error = "HOST_UNKNOWN_TO_MASTER"
                h.log("Cannot contact master: running in slave emergency mode")
            else:
                rec = master.db.hosts[h.uuid]
                rec.live = True
                h.db = copy.deepcopy(master.db)
                h.save_generation()
            if h.emergency_error:
                self._schedule_restart(h, self.timing.emergency_retry, reason="emergency retry")
        else:
            h.running_role = "slave"
            h.running_master_address = None
            h.emergency_error = "HOST_STILL_BOOTING"
            h.log("Cannot contact master: running in slave emergency mode")
        if self.ha is not None:
            self.ha.after_xapi_start(h)
        self.refresh_liveness()
        self.notify()

    def _schedule_restart(self, h: SimHost, delay: float, reason: str) -> None:
        if h.restart_task and not h.restart_task.done() and h.restart_task is not asyncio.current_task():
            h.restart_task.cancel()

        async def _restart() -> None:
            await asyncio.sleep(delay)
            if not h.powered:
                return
            h.log(f"Restarting toolstack ({reason})")
            h.xapi_state = "restarting"
            self.notify()
            await asyncio.sleep(0)
            self.xapi_start(h)

        h.restart_task = asyncio.get_running_loop().create_task(_restart())

    def restart_after_fuse(self, h: SimHost, reason: str) -> None:
        self._schedule_restart(h, self.timing.fuse, reason)

    def restart_after_ha(self, h: SimHost, reason: str) -> None:
        self._schedule_restart(h, self.timing.ha_restart, reason)

    def retry_after_ha(self, h: SimHost, reason: str) -> None:
        self._schedule_restart(h, self.timing.ha_retry, reason)

    def power_off(self, h: SimHost) -> None:
        h.powered = False
        # /run is a tmpfs on dom0: what was kept there (xentui's lease) is gone with the power
        shutil.rmtree(h.path("/run"), ignore_errors=True)
        h.xapi_state = "stopped"
        stop_domains(self, h, "power off")
        if h.restart_task:
            h.restart_task.cancel()
        self.refresh_liveness()
        self._announce(h)

    def power_on(self, h: SimHost) -> None:
        if h.powered:
            return
        h.powered = True
        h.xapi_state = "restarting"
        self._announce(h)

        async def _boot() -> None:
            await asyncio.sleep(self.timing.boot)
            self.xapi_start(h)

        h.restart_task = asyncio.get_running_loop().create_task(_boot())

    def set_cable(self, h: SimHost, plugged: bool) -> None:
        h.cable = plugged
        self.refresh_liveness()
        self._announce(h)

    def _announce(self, h: SimHost) -> None:
        for listener in self.listeners:
            listener(h)
        self.notify()

    def refresh_liveness(self) -> None:
        """Each master marks the hosts it cannot reach as not live (host_metrics.live)."""
        for m in self.hosts.values():
            if not m.is_master:
                continue
            for rec in m.db.hosts.values():
                other = self.by_uuid(rec.uuid)
                rec.live = bool(other and self.can_reach(m, other) and self.xapi_listening(other))

    # ------------------------------------------------------------------ database writes
    def commit(self, master: SimHost) -> None:
        """A write on the master: bump the generation and replicate to reachable slaves."""
        master.db.generation += 1
        master.save_generation()
        for h in self.hosts.values():
            if h is master or not self.follows(h, master):
                continue
            if self.can_reach(master, h) and self.xapi_listening(h):
                h.db = copy.deepcopy(master.db)
                h.save_generation()
        self.notify()

    def follows(self, h: SimHost, master: SimHost) -> bool:
        return (
            h.running_role == "slave"
            and h.running_master_address == master.address
            and not h.emergency_error
        )

    # ------------------------------------------------------------------ calls
    async def call(self, h: SimHost, name: str, *args: Any) -> Any:
        """Run API call `name` on host h as xapi would (forwarding from a slave)."""
        if h.xapi_hung:
            await self.wait_for(lambda: not h.xapi_hung)
        if not self.xapi_listening(h):
            raise XapiUnavailable(h.name)
        if name in LOCAL_CALLS:
            return await getattr(self, "op_" + name.replace(".", "_"))(h, *args)
        if h.emergency_error:
            raise emergency_failure(h)
        if h.running_role == "slave":
            target = await self._master_of(h)
            assert target is not None
            if target.xapi_hung:
                await self.wait_for(lambda: not target.xapi_hung)
            return await getattr(self, "op_" + name.replace(".", "_"))(target, *args)
        return await getattr(self, "op_" + name.replace(".", "_"))(h, *args)

    async def _master_of(self, h: SimHost) -> SimHost | None:
        """The master a slave's forwarded call reaches: it waits for it forever (no timeout in xapi)."""
        address = h.running_master_address
        await self.wait_for(lambda: self._master_serves(h, address))
        return self.by_address(address or "")

    def _master_serves(self, h: SimHost, address: str | None) -> bool:
        if h.running_role != "slave" or h.running_master_address != address or not self.xapi_listening(h):
            return True  # our own state changed: re-evaluate (the caller re-checks)
        target = self.by_address(address or "")
        return bool(target and self.can_reach(h, target) and target.is_master)

    def login_tcp(self, h: SimHost, user: str, password: str, root_password: str) -> str:
        """session.login_with_password over TCP: a slave answers HOST_IS_SLAVE at once."""
        if not self.xapi_listening(h):
            raise XapiUnavailable(h.name)
        if h.emergency_error:
            raise emergency_failure(h)
        if h.running_role == "slave":
            raise XapiFailure("HOST_IS_SLAVE", h.running_master_address or "")
        if user != "root" or password != root_password:
            raise XapiFailure("SESSION_AUTHENTICATION_FAILED", user, "Authentication failure")
        session = "OpaqueRef:" + new_uuid(self.rng)
        h.sessions.add(session)
        return session

    async def check_session(self, h: SimHost, session: str) -> None:
        """xapi's Session_check.check (ocaml/xapi/session_check.ml, v1.249.40), run before every call
        but the logins: a slave-local session is good on its host; otherwise the session must be in
        the master's database. On a slave that lookup is a database call to the master (it waits for
        it, as every forwarded call does); a session found there is not a pool login, so the slave
        answers HOST_IS_SLAVE with the master's address. Anything else: SESSION_INVALID."""
        if not self.xapi_listening(h):
            raise XapiUnavailable(h.name)
        if session in h.local_sessions:
            return
        if h.emergency_error:
            raise emergency_failure(h)
        if h.running_role == "slave":
            master = await self._master_of(h)
            if h.running_role == "slave" and master is not None and session in master.sessions:
                raise XapiFailure("HOST_IS_SLAVE", master.address)
        elif session in h.sessions:
            return
        raise XapiFailure("SESSION_INVALID", session)

    def logout(self, h: SimHost, session: str) -> None:
        h.local_sessions.discard(session)
        for host in (h, self.by_address(h.running_master_address or "")):
            if host is not None:
                host.sessions.discard(session)

    # ------------------------------------------------------------------ operations (on the serving host)
    def _host_rec(self, h: SimHost) -> HostRec:
        return HostRec(
            uuid=h.uuid,
            name_label=h.name,
            address=h.address,
            hostname=h.name,
            software_version=dict(h.software_version),
            control_domain_uuid=new_uuid(self.rng),
        )

    async def op_db_read(self, m: SimHost) -> PoolDB:
        return m.db

    async def op_session_login_unix(self, m: SimHost) -> str:
        session = "OpaqueRef:" + new_uuid(self.rng)
        m.sessions.add(session)  # on the master (the call is forwarded there)
        return session

    async def op_session_check(self, m: SimHost, session: str) -> None:
        if session not in m.sessions and session not in m.local_sessions:
            raise XapiFailure("SESSION_INVALID", session)

    async def op_session_slave_local_login_with_password(self, h: SimHost, *args: Any) -> str:
        session = "OpaqueRef:" + new_uuid(self.rng)
        h.local_sessions.add(session)
        return session

    async def op_host_is_in_emergency_mode(self, h: SimHost) -> bool:
        return bool(h.emergency_error)

    async def op_host_emergency_ha_disable(self, h: SimHost, soft: bool = False) -> None:
        if self.ha is None:
            if soft:
                return
            raise XapiFailure("HA_NOT_ENABLED")
        self.ha.emergency_ha_disable(h, soft)

    async def op_pool_emergency_transition_to_master(self, h: SimHost, force: bool = False) -> str:
        if local_armed(h):  # xapi_pool.ml: Localdb.get ha_armed, not Pool.ha_enabled
            raise XapiFailure("HA_IS_ENABLED")
        if h.pool_conf == "master" and not force:
            return "already-master"
        h.write("/etc/xensource/pool.conf", "master")
        h.log("Received emergency transition to master request")
        self.notify("pool.conf: master")
        self.restart_after_fuse(h, "transition to master")
        return "ok"

    async def op_pool_emergency_reset_master(self, h: SimHost, master_address: str) -> str:
        if local_armed(h):
            raise XapiFailure("HA_IS_ENABLED")
        h.write("/etc/xensource/pool.conf", f"slave:{master_address}")
        h.log(f"Received emergency reset master request: new master {master_address}")
        self.notify(f"pool.conf: slave:{master_address}")
        self.restart_after_fuse(h, f"become slave of {master_address}")
        return "ok"

    async def op_pool_recover_slaves(self, m: SimHost) -> list[str]:
        reset: list[str] = []
        for rec in list(m.db.hosts.values()):
            if rec.uuid == m.uuid:
                continue
            other = self.by_uuid(rec.uuid)
            # Failures are silently skipped, as in xapi.
            if other is None or not self.can_reach(m, other) or not self.xapi_listening(other) or other.xapi_hung:
                continue
            try:
                await self.op_pool_emergency_reset_master(other, m.address)
            except XapiFailure:  # an armed slave's HA_IS_ENABLED: swallowed (`with _ -> ()`)
                continue
            reset.append(rec.uuid)
        return reset

    async def op_pool_designate_new_master(self, m: SimHost, host_uuid: str) -> None:
        if m.db.ha_enabled:
            raise XapiFailure("HA_IS_ENABLED")
        if host_uuid not in m.db.hosts:
            raise XapiFailure("UUID_INVALID", "host", host_uuid)
        target = self.by_uuid(host_uuid)
        if target is None:
            raise XapiFailure("HOST_OFFLINE", host_uuid)
        if target is m:
            return
        # The target proposes itself to every host; any unreachable host aborts it.
        for rec in m.db.hosts.values():
            other = self.by_uuid(rec.uuid)
            if other is None or not self.can_reach(target, other) or not self.xapi_listening(other):
                raise XapiFailure("HOST_OFFLINE", rec.uuid)
        for rec in m.db.hosts.values():
            other = self.by_uuid(rec.uuid)
            assert other is not None
            if other is target:
                other.write("/etc/xensource/pool.conf", "master")
            else:
                other.write("/etc/xensource/pool.conf", f"slave:{target.address}")
        target.db = copy.deepcopy(m.db)
        target.db.master_uuid = target.uuid
        # Commit the handover: the new master first, then the others, restart xapi.
        target.running_role = "master"
        target.running_master_address = None
        for rec in m.db.hosts.values():
            other = self.by_uuid(rec.uuid)
            assert other is not None
            if other is not target:
                other.running_role = "slave"
                other.running_master_address = target.address
        self.commit(target)
        self.refresh_liveness()

    async def op_host_forget(self, m: SimHost, host_uuid: str) -> None:
        if host_uuid not in m.db.hosts:
            raise XapiFailure("UUID_INVALID", "host", host_uuid)
        other = self.by_uuid(host_uuid)
        if other is not None and self.can_reach(m, other) and self.xapi_listening(other):
            raise XapiFailure("HOST_IS_LIVE", host_uuid)
        del m.db.hosts[host_uuid]
        for pbd in [p for p in m.db.pbds.values() if p.host_uuid == host_uuid]:
            del m.db.pbds[pbd.uuid]
        self.commit(m)

    async def op_VM_power_state_reset(self, m: SimHost, vm_uuid: str) -> None:
        from . import vms

        await vms.power_state_reset(self, m, vm_uuid)

    async def op_VM_start(self, m: SimHost, vm_uuid: str, on: str | None = None) -> None:
        from . import vms

        await vms.start(self, m, vm_uuid, on)

    async def op_SR_create(
        self, m: SimHost, host_uuid: str, device_config: dict[str, str], name_label: str,
        sr_type: str, content_type: str, shared: bool,
    ) -> str:
        if host_uuid not in m.db.hosts:
            raise XapiFailure("UUID_INVALID", "host", host_uuid)
        target = self.by_uuid(host_uuid)
        if target is None or not self.can_reach(m, target):
            raise XapiFailure("HOST_OFFLINE", host_uuid)
        # SM takes `device` as a comma-separated list (an LVM SR's VG spans every device of it).
        devices = [d for d in device_config.get("device", "").split(",") if d] or [""]
        rows = partitions_of(target)
        used = [u.removeprefix("/dev/") for pbd in m.db.pbds.values() if pbd.host_uuid == host_uuid
                for u in pbd.device_config.get("device", "").split(",") if u]
        for device in devices:
            dev_name = device.removeprefix("/dev/")
            if dev_name not in rows:
                raise XapiFailure(
                    "SR_BACKEND_FAILURE_90",
                    "",
                    f"The request is missing the device parameter or the device does not exist [opterr={device}]",
                    "",
                )
            if any(u == dev_name or dev_name.startswith(u) or u.startswith(dev_name) for u in used):
                raise XapiFailure(
                    "SR_BACKEND_FAILURE_77",
                    "",
                    f"Logical Volume group creation failed [opterr=device {device} is in use]",
                    "",
                )
        sr_uuid = new_uuid(self.rng)
        if sr_type == "lvm":
            for device in devices:
                target.pvs[f"/dev/{device.removeprefix('/dev/')}"] = f"VG_XenStorage-{sr_uuid}"
        m.db.srs[sr_uuid] = SRRec(sr_uuid, name_label, sr_type, content_type, shared, None if shared else host_uuid)
        pbd_uuid = new_uuid(self.rng)
        m.db.pbds[pbd_uuid] = PBDRec(pbd_uuid, host_uuid, sr_uuid, dict(device_config))
        self.commit(m)
        return sr_uuid

    async def op_pool_update_introduce(self, m: SimHost, name_label: str, version: str, uuid: str) -> str:
        for up in m.db.updates.values():
            if up.uuid == uuid or up.name_label == name_label:
                raise XapiFailure("UPDATE_ALREADY_EXISTS", up.uuid)
        up = UpdateRec(uuid, name_label, f"{name_label} update", version, 1024000, [])
        m.db.updates[up.uuid] = up
        self.commit(m)
        return up.uuid

    async def op_pool_update_apply(self, m: SimHost, update_uuid: str, host_uuid: str) -> None:
        up = m.db.updates.get(update_uuid)
        if up is None:
            raise XapiFailure("UUID_INVALID", "pool_update", update_uuid)
        if host_uuid not in m.db.hosts:
            raise XapiFailure("UUID_INVALID", "host", host_uuid)
        if host_uuid in up.hosts:
            raise XapiFailure("UPDATE_ALREADY_APPLIED", update_uuid)
        up.hosts.append(host_uuid)
        self.commit(m)

    async def op_pool_join(self, joiner: SimHost, master_address: str, user: str, password: str, force: bool, root_password: str) -> None:
        master = self.by_address(master_address)
        if master is None or not self.can_reach(joiner, master):
            raise XapiFailure(
                "POOL_JOINING_HOST_CONNECTION_FAILED",
            )
        if not master.is_master:
            raise XapiFailure("HOST_IS_SLAVE", master.running_master_address or "")
        if user != "root" or password != root_password:
            raise XapiFailure("SESSION_AUTHENTICATION_FAILED", user, "Authentication failure")
        # xapi_pool.ml pre_join_checks: ha_is_not_enable_on_me, ha_is_not_enable_on_the_distant_pool
        if joiner.db.ha_enabled or master.db.ha_enabled:
            raise XapiFailure("HA_IS_ENABLED")
        if any(rec.uuid != joiner.uuid for rec in joiner.db.hosts.values()):
            raise XapiFailure("JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS")
        # xapi_pool.ml pre_join_checks, assert_no_shared_srs_on_me (v1.249.40, v24.39.0):
        # `srec.API.sR_shared && not srec.API.sR_is_tools_sr` -- the tools SR does not count.
        if any(sr.shared and not sr.is_tools_sr for sr in joiner.db.srs.values()):
            raise XapiFailure("JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS")
        mine = joiner.db.hosts[joiner.uuid]
        theirs = master.db.hosts[master.uuid]
        if (mine.api_major, mine.api_minor) != (theirs.api_major, theirs.api_minor):
            raise XapiFailure("POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION", f"{mine.api_major}.{mine.api_minor}", f"{theirs.api_major}.{theirs.api_minor}")
        if mine.software_version.get("db_schema") != theirs.software_version.get("db_schema"):
            raise XapiFailure("POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA", mine.software_version.get("db_schema", ""), theirs.software_version.get("db_schema", ""))
        if not force:
            if mine.software_version.get("product_version") != theirs.software_version.get("product_version"):
                raise XapiFailure("HOSTS_NOT_HOMOGENEOUS", f"Software version on local host {mine.name_label} and pool host {theirs.name_label} differ")
            if mine.cpu_vendor != theirs.cpu_vendor:
                raise XapiFailure("HOSTS_NOT_HOMOGENEOUS", f"CPUs differ: local host {mine.name_label} and pool host {theirs.name_label}")
        local_updates = {u.name_label for u in joiner.db.updates.values() if joiner.uuid in u.hosts and u.enforce_homogeneity}
        pool_updates = {u.name_label for u in master.db.updates.values() if master.uuid in u.hosts and u.enforce_homogeneity}
        if local_updates != pool_updates:
            # Not skipped by force: enforce_homogeneity updates are checked regardless.
            raise XapiFailure("HOSTS_NOT_HOMOGENEOUS", f"Updates on local host {mine.name_label} and pool host {theirs.name_label} differ")
        # Accepted: the master learns the joiner, the joiner restarts as its slave.
        master.db.hosts[joiner.uuid] = copy.deepcopy(mine)
        # The joiner's own tools SR is not carried over; the pool's tools SR gets
        # a PBD for it (dbsync_master.ml create_tools_sr: one PBD per host).
        own_tools = {sr.uuid for sr in joiner.db.srs.values() if sr.is_tools_sr}
        for sr in joiner.db.srs.values():
            if sr.uuid not in own_tools:
                master.db.srs[sr.uuid] = copy.deepcopy(sr)
        for pbd in joiner.db.pbds.values():
            if pbd.sr_uuid not in own_tools:
                master.db.pbds[pbd.uuid] = copy.deepcopy(pbd)
        for sr in [s for s in master.db.srs.values() if s.is_tools_sr]:
            template = next((p for p in master.db.pbds.values() if p.sr_uuid == sr.uuid), None)
            if template is not None:
                pbd_uuid = new_uuid(self.rng)
                master.db.pbds[pbd_uuid] = PBDRec(pbd_uuid, joiner.uuid, sr.uuid, dict(template.device_config))
        self.commit(master)
        joiner.write("/etc/xensource/pool.conf", f"slave:{master.address}")
        joiner.log(f"Joining pool of {master.address}")
        self.restart_after_fuse(joiner, "join pool")


def partitions_of(h: SimHost) -> dict[str, int]:
    """Device name -> #blocks, from the host's /proc/partitions."""
    rows: dict[str, int] = {}
    try:
        text = h.read("/proc/partitions").decode(errors="replace")
    except OSError:
        return rows
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) == 4 and cols[2].isdigit():
            rows[cols[3]] = int(cols[2])
    return rows


def wipe(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
