"""xapi's HA as the simulator models it (issue 27).

What follows xapi's source (citations: notes/ha-27.md, from the xen-api tags v1.249.42 / v24.40.0 / v26.17.0):

* Each armed host has ``/var/lib/xcp/local.db`` (``Hashtbl_xml.to_xml``: one ``<config>`` line of
  ``<row key=.. value=../>``, after Xmlm's prolog) with ``ha.armed``, ``ha.disable_failover_decisions``,
  ``ha_base_t``, ``ha_cluster_stack`` and ``ha_peers``, and ``/etc/xensource/xhad.conf``
  (``Xha_interface.DaemonConfiguration``; timeouts from ``Timeouts.derive t``).
* ``/usr/libexec/xapi/cluster-stack/xhad/ha_query_liveset`` prints calldaemon's ``ha_liveset_info``
  as the host's daemon sees the pool, or exits 14 (MTC_EXIT_DAEMON_IS_NOT_PRESENT) with no output
  when the daemon is not running.
* A host whose heartbeat is not seen for T (``HeartbeatTimeout``) drops out of the others' liveset.
  The partition rule (doc/content/toolstack/features/HA/index.md "Fencing"): a host stays alive only
  in the *best* partition — the largest, on a tie the one holding the lowest host UUID; any other
  host self-fences (its watchdog reboots it) once T has passed.  A host cut from the network here
  also loses the statefile (it lives on shared storage reached over the same cable).
* The master's armed slaves poll the liveset (``ha_monitor_interval``); when the master they follow is
  not ``master && liveness`` they run ``on_master_failure``: they propose themselves; the one that gets
  the master lock writes ``master`` to pool.conf and restarts xapi; the others wait until the liveset
  shows a live master and become its slaves (pool.conf ``slave:<addr>``, xapi restarts).
  Which proposer xhad grants the lock is xhad-internal (unconfirmed): the simulator grants it to the
  live proposer with the lowest UUID, deterministically.
* An armed host whose xapi starts runs ``on_server_restart``: it must join the liveset first; while it
  cannot (no statefile, rc 8) xapi sits in emergency mode with HA_HOST_CANNOT_ACCESS_STATEFILE and
  retries.  Once joined, a host whose pool.conf says master proposes itself; rejected because
  another live master holds the lock, it becomes that master's slave — no split brain.
* ``pool-emergency-transition-to-master`` / ``-reset-master`` refuse with HA_IS_ENABLED while the
  host's own local.db says ``ha.armed=true`` (xapi_pool.ml); designate refuses while the pool record
  says ``ha_enabled``.
* ``xe host-emergency-ha-disable`` refuses without ``--force`` (INTERNAL_ERROR ``Failure: ...``,
  cli_operations.ml); forced, it stops the daemon and writes ``ha.armed=false``; not armed it raises
  HA_NOT_ENABLED.  At the next xapi start (``resynchronise_ha_state``) a disarmed master of an
  ``ha_enabled`` pool silently clears ``ha_enabled``; a disarmed slave of one enters emergency mode
  with HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED (xen-api issue 7177).
* The wedge (the simulator's model of CP-25481, "a dead host may still have the master lock"): the
  lost master keeps the lock; ``ha_propose_master`` answers FALSE to every survivor, none becomes
  master and each waits ("no other master exists yet; waiting 5 seconds and retrying") forever.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the state module imports this one
    from .state import SimHost, SimPool

LOCAL_DB = "/var/lib/xcp/local.db"
XHAD_CONF = "/etc/xensource/xhad.conf"
TOOL_DIR = "/usr/libexec/xapi/cluster-stack/xhad/"
LIVESET_TOOL = TOOL_DIR + "ha_query_liveset"
DAEMON_NOT_PRESENT = 14  # xha_errno.ml

# The descriptions (tests/fixtures/real/errors/<release>/every-code.txt, datamodel_errors.ml).
HA_ERRORS = {
    "HA_NOT_ENABLED": "The operation could not be performed because HA is not enabled on the Pool",
    "HA_HOST_CANNOT_ACCESS_STATEFILE": "The server could not join the liveset because the HA daemon could not "
    "access the heartbeat disk.",
    "HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED": "This server cannot join the pool because the pool has HA enabled "
    "but this server has HA disabled.",
    "INTERNAL_ERROR": "The server failed to handle your request, due to an internal error. The given message may "
    "give details useful for debugging the problem.",
}
HA_ERROR_PARAMS = {"INTERNAL_ERROR": ["message"]}
# cli_operations.ml no_force_msg: v24.40.0:87-93 / v26.17.0:89-94; v1.249.42:6931-6938 says "extremely dangerous".
NO_FORCE = {
    "xcpng-8.2": "This operation is extremely dangerous and may cause data loss. This operation must be forced "
    "(use --force).",
    "default": "This operation is dangerous and may cause data loss. This operation must be forced (use --force).",
}

_ROW_RE = re.compile(r'<row key="([^"]*)" value="([^"]*)"/>')


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def read_local_db(h: "SimHost") -> dict[str, str]:
    try:
        text = h.read(LOCAL_DB).decode(errors="replace")
    except OSError:
        return {}
    return {k: v.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            for k, v in _ROW_RE.findall(text)}


def write_local_db(h: "SimHost", rows: dict[str, str]) -> None:
    body = "".join(f'<row key="{_esc(k)}" value="{_esc(v)}"/>' for k, v in rows.items())
    h.write(LOCAL_DB, f'<?xml version="1.0" encoding="UTF-8"?>\n<config>{body}</config>')


def local_put(h: "SimHost", key: str, value: str) -> None:
    rows = read_local_db(h)
    rows[key] = value
    write_local_db(h, rows)


def local_armed(h: "SimHost") -> bool:
    """Localdb.get ha.armed = "true" (missing = false)."""
    return read_local_db(h).get("ha.armed") == "true"


def derive(t: int) -> dict[str, int]:
    """Timeouts.derive (xapi_ha.ml v24.40.0:210-243) plus the health-check globals, T in seconds."""
    return {
        "HeartbeatInterval": min((t + 10) // 10, 3),
        "HeartbeatTimeout": t,
        "StateFileInterval": max(2, t // 20),
        "StateFileTimeout": t,
        "HeartbeatWatchdogTimeout": t,
        "StateFileWatchdogTimeout": t + 15,
        "BootJoinTimeout": t + 60,
        "EnableJoinTimeout": t + 60,
        "XapiHealthCheckInterval": 60,
        "XapiHealthCheckTimeout": 120,
        "XapiRestartAttempts": 1,
        "XapiRestartTimeout": 300,
    }


@dataclass
class SimHA:
    """The pool's HA: which daemons run, who each host has lost sight of since when, the master lock."""

    pool: "SimPool"
    generation: str = "4b8e2c1a-9f0d-4e43-b7a2-0c6d5e1f2a33"
    daemon: set[str] = field(default_factory=set)  # hosts whose xhad runs (joined the liveset)
    unseen: dict[tuple[str, str], float] = field(default_factory=dict)  # (observer, other) -> lost sight at
    lock: str | None = None  # host name holding the master lock
    stuck_lock: bool = False  # the wedge: the lost master's lock is never released
    lost_master: dict[str, float] = field(default_factory=dict)  # slave -> when its monitor saw its master gone
    task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ setup
    @property
    def t(self) -> float:
        return self.pool.timing.ha_timeout

    def arm(self) -> None:
        """pool-ha-enable as it ends: every host armed (local.db, xhad.conf), the pool record ha_enabled."""
        hosts = list(self.pool.hosts.values())
        peers = "(" + " ".join(f"('{h.uuid}' '{h.address}')" for h in hosts) + ")"
        t = int(self.t) if float(self.t).is_integer() else self.t
        for h in hosts:
            write_local_db(h, {
                "ha_peers": peers, "ha.armed": "true", "ha_base_t": str(t), "ha_cluster_stack": "xhad",
                "ha.disable_failover_decisions": "false", "master_scripts": "false",
                "host_disabled_until_reboot": "false",
            })
            h.write(XHAD_CONF, self._xhad_conf(h, hosts, int(round(self.t))))
            h.write(LIVESET_TOOL, "#!/bin/sh\n# simulated: calldaemon query_liveset\n")
            h.db.ha_enabled = True
            if h.powered:
                self.daemon.add(h.name)
            if h.is_master:
                self.lock = h.name
        self.start()

    def _xhad_conf(self, me: "SimHost", hosts: list["SimHost"], t: int) -> str:
        hs = "".join(
            f"    <host>\n      <HostID>{h.uuid}</HostID>\n      <IPaddress>{h.address}</IPaddress>\n    </host>\n"
            for h in hosts
        )
        ps = "".join(f"      <{k}>{v}</{k}>\n" for k, v in derive(t).items())
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<xhad-config version="1.0">\n  <common-config>\n'
            f"    <GenerationUUID>{self.generation}</GenerationUUID>\n    <UDPport>694</UDPport>\n{hs}"
            f"    <parameters>\n{ps}    </parameters>\n  </common-config>\n  <local-config>\n    <localhost>\n"
            f"      <HostID>{me.uuid}</HostID>\n      <HeartbeatInterface>xenbr0</HeartbeatInterface>\n"
            "      <HeartbeatPhysicalInterface>eth0</HeartbeatPhysicalInterface>\n"
            f"      <StateFile>/dev/sm/backend/{self.generation}/statefile</StateFile>\n    </localhost>\n"
            "  </local-config>\n</xhad-config>\n"
        )

    def start(self) -> None:
        if self.task is None or self.task.done():
            try:
                self.task = asyncio.get_running_loop().create_task(self._run())
            except RuntimeError:
                self.task = None

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    # ------------------------------------------------------------------ what each daemon sees
    def _heartbeat(self, a: "SimHost", b: "SimHost") -> bool:
        return b.name in self.daemon and self.pool.can_reach(a, b)

    def statefile(self, h: "SimHost") -> bool:
        """The statefile is on shared storage behind the management network."""
        return h.powered and h.cable

    def live_in_view(self, a: "SimHost", b: "SimHost", now: float | None = None) -> bool:
        if a is b:
            return a.name in self.daemon
        since = self.unseen.get((a.name, b.name))
        if since is None:
            return True
        return (time.monotonic() if now is None else now) - since < self.t

    def view(self, a: "SimHost") -> dict[str, bool]:
        members = [h for h in self.pool.hosts.values() if h.name in self.daemon or (a.name, h.name) in self.unseen
                   or h.name == a.name or self._armed_member(h)]
        return {h.name: self.live_in_view(a, h) for h in members}

    def _armed_member(self, h: "SimHost") -> bool:
        return h.path(XHAD_CONF).exists()

    def _update_sight(self) -> None:
        now = time.monotonic()
        for a in self.pool.hosts.values():
            if a.name not in self.daemon:
                continue
            for b in self.pool.hosts.values():
                if a is b:
                    continue
                key = (a.name, b.name)
                if self._heartbeat(a, b):
                    self.unseen.pop(key, None)
                else:
                    self.unseen.setdefault(key, now)

    def partitions(self) -> list[list["SimHost"]]:
        """The groups of running daemons that hear each other and see the statefile."""
        hosts = [h for h in self.pool.hosts.values() if h.name in self.daemon and h.powered]
        groups: list[list[SimHost]] = []
        for h in hosts:
            for g in groups:
                if self.pool.can_reach(h, g[0]):
                    g.append(h)
                    break
            else:
                groups.append([h])
        return groups

    def best(self) -> list["SimHost"]:
        groups = [g for g in self.partitions() if any(self.statefile(h) for h in g)]
        if not groups:
            return []
        return min(groups, key=lambda g: (-len(g), min(h.uuid for h in g)))

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.pool.timing.ha_tick)
            try:
                self.step()
            except Exception as e:  # pragma: no cover - a bug here must show, not kill the loop silently
                for h in self.pool.hosts.values():
                    h.log(f"sim HA error: {e!r}")

    def step(self) -> None:
        self._update_sight()
        now = time.monotonic()
        best = {h.name for h in self.best()}
        # fencing: a running daemon outside the best partition, T after it lost sight of the others
        for h in list(self.pool.hosts.values()):
            if h.name not in self.daemon or h.name in best or not h.powered:
                continue
            lost = [t for (a, _), t in self.unseen.items() if a == h.name]
            if lost and now - min(lost) >= self.t:
                self.fence(h)
        # the lock: held by a host that left the liveset is released (unless wedged)
        if self.lock is not None and self.lock not in best and not self.stuck_lock:
            holder = self.pool.hosts.get(self.lock)
            if holder is None or not any(self.live_in_view(self.pool.host(b), holder, now) for b in best):
                self.lock = None
        # election: each armed slave in the best partition whose master is not master && live
        for name in sorted(best):
            h = self.pool.host(name)
            if h.xapi_state != "running" or h.running_role != "slave" or h.emergency_error:
                continue
            master = self.pool.by_address(h.running_master_address or "")
            live_master = master is not None and master.name == self.lock and self.live_in_view(h, master, now)
            if live_master:
                self.lost_master.pop(name, None)
                continue
            first = self.lost_master.setdefault(name, now)
            if now - first < self.pool.timing.ha_monitor:
                continue
            self.on_master_failure(h)

    def fence(self, h: "SimHost") -> None:
        """The watchdog: the host reboots (the minority of a partition)."""
        h.log("HA: this host is not in the best partition: self-fencing (watchdog reboot)")
        self.daemon.discard(h.name)
        self._forget(h)
        if self.lock == h.name and not self.stuck_lock:
            self.lock = None
        self.pool.power_off(h)
        self.pool.truth.record(self.pool, f"ha fence {h.name}")

        async def _reboot() -> None:
            await asyncio.sleep(self.pool.timing.ha_reboot)
            self.pool.power_on(h)

        asyncio.get_running_loop().create_task(_reboot())

    def _join(self, h: "SimHost") -> None:
        """xhad joins the liveset: it takes the others' view (a host nobody hears is already dead to it)."""
        self._forget(h)
        self.daemon.add(h.name)
        past = time.monotonic() - self.t
        for b in self.pool.hosts.values():
            if b is not h and not self._heartbeat(h, b):
                self.unseen[(h.name, b.name)] = past

    def _forget(self, h: "SimHost") -> None:
        for key in [k for k in self.unseen if k[0] == h.name]:
            del self.unseen[key]
        self.lost_master.pop(h.name, None)

    def on_master_failure(self, h: "SimHost") -> None:
        """xapi_ha.ml on_master_failure: propose; else follow the one live master; else wait."""
        failover_ok = read_local_db(h).get("ha.disable_failover_decisions") != "true"
        if failover_ok and self.lock is None and not self.stuck_lock and self._first_proposer(h):
            self.lock = h.name
            h.log("HA: ha_propose_master succeeded: becoming master")
            h.write("/etc/xensource/pool.conf", "master")
            local_put(h, "this_node_just_became_master", "true")
            self.lost_master.pop(h.name, None)
            self.pool.notify("ha: pool.conf master")
            self.pool.restart_after_ha(h, "HA: becoming master")
            return
        holder = self.pool.hosts.get(self.lock or "")
        if holder is not None and holder is not h and self.live_in_view(h, holder) and holder.is_master:
            h.log(f"HA: becoming slave of the new master {holder.address}")
            h.write("/etc/xensource/pool.conf", f"slave:{holder.address}")
            self.lost_master.pop(h.name, None)
            self.pool.notify("ha: pool.conf slave")
            self.pool.restart_after_ha(h, f"HA: slave of {holder.address}")
            return
        h.log("HA: no other master exists yet; waiting 5 seconds and retrying")

    def _first_proposer(self, h: "SimHost") -> bool:
        best = [x for x in self.best() if x.name in self.lost_master or x is h]
        return bool(best) and min(best, key=lambda x: x.uuid) is h

    # ------------------------------------------------------------------ xapi's start on an armed host
    def on_xapi_start(self, h: "SimHost") -> bool:
        """on_server_restart for an armed host.  True: handled here (the start does not go on)."""
        if not local_armed(h):
            return False
        if not self.statefile(h):  # rc 8: cannot reach the statefile; retry
            self.daemon.discard(h.name)
            h.xapi_state = "running"
            h.running_role = "slave" if h.pool_conf != "master" else "master"
            h.emergency_error = "HA_HOST_CANNOT_ACCESS_STATEFILE"
            h.log("HA: ha_start_daemon failed: MTC_EXIT_CAN_NOT_ACCESS_STATEFILE; retrying in emergency mode")
            self.pool.retry_after_ha(h, "HA: retry ha_start_daemon")
            self.pool.notify("ha: cannot access statefile")
            return True
        if h.name not in self.daemon:  # xhad (re)joins; a toolstack restart leaves a running xhad alone
            self._join(h)
        if h.pool_conf == "master" and self.lock not in (None, h.name):
            holder = self.pool.hosts.get(self.lock or "")
            if holder is not None and holder.powered:
                # proposes itself, is refused, follows the master the liveset shows (no split brain)
                h.log(f"HA: ha_propose_master rejected; becoming slave of {holder.address}")
                h.write("/etc/xensource/pool.conf", f"slave:{holder.address}")
        elif h.pool_conf == "master" and self.lock is None and not self.stuck_lock:
            self.lock = h.name
        return False

    def after_xapi_start(self, h: "SimHost") -> None:
        """resynchronise_ha_state (xapi.ml): local ha.armed against the pool's ha_enabled."""
        if h.xapi_state != "running":
            return
        if local_armed(h) and not h.db.ha_enabled and not h.emergency_error:
            # (true, false): the pool has HA off; disarm and release (ha_release_resources)
            h.log("HA: the pool has HA disabled but we are armed: disarming")
            local_put(h, "ha.armed", "false")
            self.daemon.discard(h.name)
            if self.lock == h.name and not h.is_master:
                self.lock = None
            return
        if local_armed(h) or not h.db.ha_enabled:
            return
        if h.running_role == "master" and not h.emergency_error:
            h.log("HA: Pool.ha_enabled is true but we are disarmed: setting Pool.ha_enabled to false")
            h.db.ha_enabled = False
            self.pool.commit(h)
        elif h.running_role == "slave" and not h.emergency_error:
            h.log("We are a slave: we cannot join an HA-enabled Pool after being locally disarmed. "
                  "Entering emergency mode.")
            h.emergency_error = "HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED"

    # ------------------------------------------------------------------ the commands
    def emergency_ha_disable(self, h: "SimHost", soft: bool = False) -> None:
        """Host.emergency_ha_disable (xapi_ha.ml v24.40.0:1131-1166)."""
        from .state import XapiFailure

        if not local_armed(h):
            if soft:
                return
            raise XapiFailure("HA_NOT_ENABLED")
        h.log("Disabling the HA subsystem on the local host only.")
        self.daemon.discard(h.name)
        self._forget(h)
        if not soft:
            local_put(h, "ha.armed", "false")
        self.pool.notify("ha: emergency disable")

    def liveset_xml(self, h: "SimHost") -> str:
        """calldaemon.c print_query_liveset, line for line (xenserver/xha), as host h's daemon reports.

        The layout is the C code's; the raw figures (latencies, time_since_*, T1..Ws) are printed
        with %d but their units are not confirmed from source: the simulator prints milliseconds
        (xapi_ha.ml reads the latencies as ms) and no consumer in xentui reads them."""
        now = time.monotonic()
        hosts = [o for o in self.pool.hosts.values() if o.path(XHAD_CONF).exists()]
        idx = {o.name: i for i, o in enumerate(hosts)}

        def b(x: bool) -> str:
            return "TRUE" if x else "FALSE"

        out = ['<?xml version="1.0" encoding="UTF-8"?>', '<ha_liveset_info version="1.0">', "  <status>Online</status>",
               "  <localhost>", f"    <HostID>{h.uuid}</HostID>", f"    <HostIndex>{idx.get(h.name, 0)}</HostIndex>",
               "  </localhost>"]
        live = {o.name: self.live_in_view(h, o, now) for o in hosts}
        for o in hosts:
            sf = self.statefile(h) if o is h else live[o.name] and self.statefile(o)
            out += ["  <host>", f"    <HostID>{o.uuid}</HostID>", f"    <HostIndex>{idx[o.name]}</HostIndex>",
                    f"    <liveness>{b(live[o.name])}</liveness>", f"    <master>{b(self.lock == o.name)}</master>",
                    f"    <statefile_access>{b(sf)}</statefile_access>",
                    "    <statefile_corrupted>FALSE</statefile_corrupted>", "    <excluded>FALSE</excluded>", "  </host>"]
        hb = int(derive(int(round(self.t)))["HeartbeatInterval"] * 1000)
        out += ["  <raw_status_on_local_host>"]
        for name, v in (("statefile_latency", 12), ("statefile_latency_max", 40), ("statefile_latency_min", 8),
                        ("heartbeat_latency", hb), ("heartbeat_latency_max", hb + 20), ("heartbeat_latency_min", hb - 10),
                        ("Xapi_healthcheck_latency", 45), ("Xapi_healthcheck_latency_max", 90),
                        ("Xapi_healthcheck_latency_min", 30)):
            out.append(f"    <{name}>{v}</{name}>")
        alive = [o for o in hosts if live[o.name]]
        for o in hosts:
            since = self.unseen.get((h.name, o.name))
            gone = 0 if since is None or o is h else int((now - since) * 1000)
            actives = "".join(f"          {a.uuid}\n" for a in alive) if live[o.name] else ""
            out += ["    <host_raw_data>", f"      <HostID>{o.uuid}</HostID>", f"      <HostIndex>{idx[o.name]}</HostIndex>",
                    f"      <time_since_last_update_on_statefile>{gone}</time_since_last_update_on_statefile>",
                    f"      <time_since_last_heartbeat>{gone}</time_since_last_heartbeat>",
                    "      <time_since_xapi_restart_first_attempted>0</time_since_xapi_restart_first_attempted>",
                    "      <xapi_error_string></xapi_error_string>"]
            for tag in ("heartbeat_active_list_on_heartbeat", "heartbeat_active_list_on_statefile",
                        "statefile_active_list_on_heartbeat", "statefile_active_list_on_statefile"):
                out.append(f"      <{tag}>\n{actives}      </{tag}>")
            out.append("    </host_raw_data>")
        t_ms = int(self.t * 1000)
        out += ["  </raw_status_on_local_host>", "  <timeout>", f"    <T1>{t_ms}</T1>", f"    <T2>{t_ms}</T2>",
                f"    <T3>{t_ms + 60000}</T3>", f"    <Wh>{t_ms}</Wh>", f"    <Ws>{t_ms + 15000}</Ws>", "  </timeout>",
                "  <warning_on_local_host>", f"    <statefile_lost>{b(not self.statefile(h))}</statefile_lost>",
                "    <heartbeat_approaching_timeout>FALSE</heartbeat_approaching_timeout>",
                "    <statefile_approaching_timeout>FALSE</statefile_approaching_timeout>",
                "    <Xapi_healthcheck_approaching_timeout>FALSE</Xapi_healthcheck_approaching_timeout>",
                "    <network_bonding_error>FALSE</network_bonding_error>", "  </warning_on_local_host>",
                "</ha_liveset_info>"]
        return "\n".join(out) + "\n"

    def run_tool(self, h: "SimHost", tool: str, args: list[str]) -> tuple[bytes, bytes, int]:
        if tool == LIVESET_TOOL:
            if h.name not in self.daemon or not h.powered:
                return b"", b"", DAEMON_NOT_PRESENT
            return self.liveset_xml(h).encode(), b"", 0
        return b"", f"bash: {tool}: command not found\n".encode(), 127

    def state(self) -> dict[str, Any]:
        return {"daemons": sorted(self.daemon), "lock": self.lock, "stuck_lock": self.stuck_lock}


def run_ha_tool(pool: "SimPool", h: "SimHost", tool: str, args: list[str], path: str = "") -> tuple[bytes, bytes, int]:
    """A script of the cluster-stack directory.  Every install has them (xapi's package); with no HA
    configured the daemon is simply not running: rc 14, nothing printed.  Like the real scripts (they
    source xha's scripts/ha_rc, which calls ha_null by name) they refuse to run unless their directory
    is on PATH: `error "PATH is not properly setup" "" $MTC_EXIT_INVALID_ENVIRONMENT`, i.e. `date`, the
    message and "(16)" on stderr, exit 16."""
    if TOOL_DIR.rstrip("/") not in path.split(":"):
        stamp = time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime())
        return b"", f"{stamp} PATH is not properly setup (16)\n".encode(), 16
    ha: SimHA | None = getattr(pool, "ha", None)
    if ha is not None:
        return ha.run_tool(h, tool, args)
    if tool == LIVESET_TOOL:
        return b"", b"", DAEMON_NOT_PRESENT
    return b"", f"bash: {tool}: command not found\n".encode(), 127
