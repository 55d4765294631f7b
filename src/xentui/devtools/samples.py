"""Constructed facts of the main states, for snapshot tests, screenshots and pane tests.

They mirror what the engine learns from the simulator (same names, stable
uuid5 UUIDs, loopback addresses 127.0.1.1x, the probe's `Source.how` texts)
but every time is fixed relative to `FIXED_NOW`, so a console built on them
renders identically on every run::

    from xentui.devtools.samples import sample_app
    app = sample_app("split-brain")          # XentuiApp on a StaticSource, fixed clock
    async with app.run_test(size=(80, 24)) as pilot: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xentui.core.config import Settings
from xentui.core.model import CommandResult
from xentui.core.model import HostFacts, QueryState, Role, Source, SshState, XapiView
from xensim.scenarios import address_of, host_uuid
from xentui.ui.source import StaticSource

__all__ = [
    "FIXED_NOW", "SAMPLE_SETTINGS", "STATES", "sample_activity", "sample_app", "sample_facts", "sample_source",
    "sample_storage", "sample_stranded",
]

FIXED_NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
SAMPLE_SETTINGS = Settings(connect_timeout=3.0, command_timeout=5.0, reach_timeout=2.0, poll_interval=2.0)
HOSTS = [f"plot{i}" for i in range(1, 9)]

_FILES = "head /etc/xensource/pool.conf, /etc/xensource-inventory, /etc/hostname, /var/lib/xcp/state.db.generation"
_XAPI = "XenAPI login over an SSH port forward to 127.0.0.1:443"
_XE_T = "timeout -k 2 5 /opt/xensource/bin/xe"
_POOL_LIST = "pool-list params=uuid,master,ha-enabled"
_FP = "SHA256:{name}sim0fingerprint0000000000000000000000000"


def _index(name: str) -> int:
    return int(name.removeprefix("plot"))


def _learn(f: HostFacts, key: str, how: str, at: float, stale: bool = False) -> None:
    f.sources[key] = Source(how=how, at=at, stale=stale)


def _host(
    name: str,
    *,
    role: Role,
    master: str | None = None,
    gen: int = 4811,
    ssh: SshState = SshState.UP,
    xapi: XapiView | None = None,
    pool_list: QueryState = QueryState.ANSWERED,
    reaches: bool | None = True,
    pool_master: str | None = None,
    emergency: bool | None = False,
    age: float | None = None,
) -> HostFacts:
    i = _index(name)
    at = FIXED_NOW - (age if age is not None else 0.4 + (i * 0.37) % 1.6)
    own = address_of(i)
    f = HostFacts(name=name, address=name)
    f.ssh = ssh
    f.probed_at = at - 0.2
    f.probe_seconds = 0.2
    _learn(f, "ssh", "SSH connect from the jump box", at - 0.2)
    stale = ssh is not SshState.UP
    if ssh is not SshState.UP:
        f.ssh_error = {
            SshState.NO_ANSWER: f"{name}: no answer in {SAMPLE_SETTINGS.connect_timeout:g} s",
            SshState.REFUSED: f"{name}: connection refused",
        }.get(ssh, f"{name}: {ssh.value}")
    else:
        f.host_key_fingerprint = _FP.format(name=name)[:51]
        f.latency_ms = float(38 + (i * 17) % 45)
        f.forwarding = True
    # files (kept stale from an earlier probe when the host is unreachable)
    fat = at - (90.0 if stale else 0.1)
    f.role = role
    if role is Role.SLAVE:
        assert master is not None
        f.master_address = address_of(_index(master))
        f.pool_conf_raw = f"slave:{f.master_address}"
    else:
        f.pool_conf_raw = role.value
    f.uuid = host_uuid(name)
    f.hostname = name
    f.product_brand, f.product_version = "XCP-ng", "8.2.1"
    f.own_addresses = [own]
    f.db_generation = gen
    _learn(f, "role", "cat /etc/xensource/pool.conf", fat, stale)
    _learn(f, "uuid", "INSTALLATION_UUID in /etc/xensource-inventory", fat, stale)
    _learn(f, "hostname", "/etc/hostname", fat, stale)
    _learn(f, "db_generation", "/var/lib/xcp/state.db.generation", fat, stale)
    _learn(f, "own_addresses", "hostname -I", fat, stale)
    if stale:
        return f
    _learn(f, "files", _FILES, at - 0.1)
    # the toolstack
    view = xapi or (XapiView.MASTER if role is Role.MASTER else XapiView.SLAVE)
    f.xapi = view
    if view is XapiView.MASTER:
        f.xapi_detail = "answers as master (login refused: no valid password held)"
    elif view is XapiView.SLAVE and f.master_address:
        f.xapi_detail = f"HOST_IS_SLAVE {f.master_address}"
        f.xapi_master_address = f.master_address
    elif view is XapiView.NO_ANSWER:
        f.xapi_detail = f"no answer in {SAMPLE_SETTINGS.command_timeout:g} s"
    _learn(f, "xapi", _XAPI, at)
    f.emergency_mode = emergency
    _learn(f, "emergency_mode", "xe host-is-in-emergency-mode", at - 0.05)
    f.pool_list = pool_list
    if pool_list is QueryState.ANSWERED:
        f.pool_master_uuid = host_uuid(pool_master or (name if role is Role.MASTER else master or name))
        f.ha_enabled = False
    elif pool_list is QueryState.NO_ANSWER:
        f.pool_list_error = "no answer (remote timeout)"
    _learn(f, "pool_list", "xe pool-list (time-bounded)", at - 0.05)
    if role is Role.SLAVE and reaches is not None:
        f.reaches_master = reaches
        f.reaches_master_detail = (
            "TCP 443 connect from the host succeeded"
            if reaches
            else f"no answer in {SAMPLE_SETTINGS.reach_timeout:g} s from the master's :443"
        )
        _learn(f, "reaches_master", f"bash /dev/tcp connect to {f.master_address}:443 from the host", at)
    return f


def healthy() -> list[HostFacts]:
    return [_host("plot1", role=Role.MASTER)] + [_host(n, role=Role.SLAVE, master="plot1") for n in HOSTS[1:]]


def master_lost() -> list[HostFacts]:
    """plot1 (master) lost its cable: no answer to SSH; every slave stranded."""
    return [_host("plot1", role=Role.MASTER, ssh=SshState.NO_ANSWER)] + [
        _host(n, role=Role.SLAVE, master="plot1", pool_list=QueryState.NO_ANSWER, reaches=False, gen=4811 + (n == "plot4"))
        for n in HOSTS[1:]
    ]


def split_brain() -> list[HostFacts]:
    """plot2 was promoted and recovered the rest; plot1 came back still master."""
    return [
        _host("plot1", role=Role.MASTER, gen=4811),
        _host("plot2", role=Role.MASTER, gen=4816),
    ] + [_host(n, role=Role.SLAVE, master="plot2", gen=4816) for n in HOSTS[2:]]


def degraded() -> list[HostFacts]:
    """plot7 is shut down; the rest is healthy."""
    return [_host("plot1", role=Role.MASTER)] + [
        _host(n, role=Role.SLAVE, master="plot1", ssh=SshState.REFUSED if n == "plot7" else SshState.UP)
        for n in HOSTS[1:]
    ]


def _armed(f: HostFacts, liveset: dict[str, tuple[bool, bool]], lost_at: float | None) -> HostFacts:
    """`f` as an armed host of an HA pool reads it: local.db, xhad.conf (T 60 s), its daemon's liveset
    (name -> (liveness, master lock)); `lost_at`: when it was first seen without its master."""
    from xentui.core.model import HaLivesetRow

    if not f.reachable:
        return f
    at = (f.probed_at or FIXED_NOW) + 0.1
    f.ha_armed, f.ha_disable_failover, f.ha_cluster_stack, f.ha_timeout = True, False, "xhad", 60.0
    f.ha_peers = {host_uuid(n): address_of(_index(n)) for n in HOSTS}
    f.ha_config_hosts = sorted(host_uuid(n) for n in HOSTS)
    _learn(f, "ha_local", "head /var/lib/xcp/local.db", at)
    _learn(f, "ha_config", "head /etc/xensource/xhad.conf", at)
    f.ha_liveset_status = "online"
    f.ha_liveset = {
        host_uuid(n): HaLivesetRow(liveness=live, master=lock, statefile_access=live) for n, (live, lock) in liveset.items()
    }
    _learn(f, "ha_liveset", "ha_query_liveset (the HA daemon's own view)", at + 0.05)
    if lost_at is not None:
        _learn(f, "ha_master_lost", "first seen without its master (TCP 443 / liveset)", lost_at)
    return f


def ha_electing() -> list[HostFacts]:
    """HA pool, plot1 (master) lost its cable 40 s ago: the survivors' daemons no longer see it; no master yet."""
    view = {"plot1": (False, False), **{n: (True, False) for n in HOSTS[1:]}}
    return [_armed(f, view, FIXED_NOW - 40) for f in master_lost()]


def ha_wedged() -> list[HostFacts]:
    """HA pool, plot1 (master) lost 5 minutes ago and still holds the master lock: nobody can be elected."""
    view = {"plot1": (False, True), **{n: (True, False) for n in HOSTS[1:]}}
    return [_armed(f, view, FIXED_NOW - 300) for f in master_lost()]
def _bmc(f: HostFacts, on: bool, age: float = 4.0) -> HostFacts:
    """The BMC's reading of a sample host (simulated Redfish BMCs on loopback ports 18441…)."""
    from xentui.core.power import PowerFact, PowerState

    url = f"https://127.0.0.1:{18440 + _index(f.name)}"
    f.power = PowerFact(state=PowerState.ON if on else PowerState.OFF, raw="On" if on else "Off", at=FIXED_NOW - age,
                        how=f"Redfish GET {url} ComputerSystem PowerState", bmc=url)
    return f


def fenced() -> list[HostFacts]:
    """plot1 lost its cable and was fenced through its BMC (Off); plot2 promoted and recovered the rest."""
    lost = _host("plot1", role=Role.MASTER, ssh=SshState.NO_ANSWER)
    return [_bmc(lost, on=False, age=12.0), _bmc(_host("plot2", role=Role.MASTER, gen=4816), on=True)] + [
        _bmc(_host(n, role=Role.SLAVE, master="plot2", gen=4816), on=True) for n in HOSTS[2:]
    ]


STATES: dict[str, Callable[[], list[HostFacts]]] = {
    "healthy": healthy,
    "master-lost": master_lost,
    "split-brain": split_brain,
    "degraded": degraded,
    "ha-electing": ha_electing,
    "ha-wedged": ha_wedged,
    "fenced": fenced,
}


def sample_stranded() -> Any:
    """What `read_stranded` reads on plot2 after the fence: plot1's three VMs, one HA-protected."""
    from xensim.scenarios import stable_uuid

    from xentui.actions.power import StrandedVM

    return [StrandedVM(uuid=stable_uuid("vm", n), name=n, ha_restart_priority=ha, resident_on=host_uuid("plot1"))
            for n, ha in (("web1", ""), ("db1", ""), ("mail1", "restart"))]


def sample_facts(state: str) -> list[HostFacts]:
    return STATES[state]()


def sample_activity(facts: list[HostFacts]) -> dict[str, list[CommandResult]]:
    """A probe's commands on every host, as the engine records them."""
    out: dict[str, list[CommandResult]] = {}
    for f in facts:
        at = (f.probed_at or FIXED_NOW) - 0.0
        rs: list[CommandResult] = []
        if not f.reachable:
            out[f.name] = [CommandResult(f.name, "ssh connect", None, "", "", at, 3.0, error=f.ssh_error)]
            continue
        rs.append(
            CommandResult(
                f.name,
                "head -v -c 65536 -- /etc/xensource/pool.conf /etc/xensource-inventory /etc/hostname "
                "/var/lib/xcp/state.db.generation; printf '\\n==> %s <==\\n' 'hostname -I'; hostname -I",
                0,
                f"==> /etc/xensource/pool.conf <==\n{f.pool_conf_raw}\n==> /etc/xensource-inventory <==\n"
                f"PRODUCT_BRAND='XCP-ng'\nPRODUCT_VERSION='8.2.1'\nINSTALLATION_UUID='{f.uuid}'\n",
                "",
                at,
                0.08,
            )
        )
        rs.append(CommandResult(f.name, f"{_XE_T} host-is-in-emergency-mode", 0, "false\n", "", at, 0.09))
        if f.pool_list is QueryState.NO_ANSWER:
            rs.append(CommandResult(f.name, f"{_XE_T} {_POOL_LIST}", 124, "", "", at, 5.02))
        else:
            rs.append(
                CommandResult(
                    f.name,
                    f"{_XE_T} {_POOL_LIST}",
                    0,
                    f"uuid ( RO)          : {f.uuid}\n    master ( RO)     : {f.pool_master_uuid}\n"
                    "    ha-enabled ( RO) : false\n",
                    "",
                    at,
                    0.11,
                )
            )
        if f.role is Role.SLAVE and f.master_address:
            ok = bool(f.reaches_master)
            rs.append(
                CommandResult(
                    f.name,
                    f"timeout 2 bash -c 'exec 3<>/dev/tcp/{f.master_address}/443'",
                    0 if ok else 124,
                    "",
                    "",
                    at,
                    0.02 if ok else 2.01,
                )
            )
        out[f.name] = rs
    return out


def sample_source(state: str, name: str = "sim") -> StaticSource:
    facts = sample_facts(state)
    return StaticSource(name, facts, settings=SAMPLE_SETTINGS, activity=sample_activity(facts))


def sample_app(state: str = "healthy", **kwargs: Any) -> Any:
    """An `XentuiApp` on a static source of `state`, with the fixed clock."""
    from xentui.ui.app import XentuiApp

    kwargs.setdefault("clock", lambda: FIXED_NOW)
    return XentuiApp([sample_source(state)], **kwargs)


_PARTITIONS = """major minor  #blocks  name

   8        0  488386584 sda
   8        1   18874368 sda1
   8        2   18874368 sda2
   8        3  444818415 sda3
   8        4     524288 sda4
   8        5    4194304 sda5
   8        6    1048576 sda6
   8       16  976762584 sdb
   8       17  488380416 sdb1
   8       18  488381144 sdb2
"""
_MOUNTS = "/dev/sda1 / ext3 rw 0 0\n/dev/sda5 /var/log ext3 rw 0 0\n/dev/sda4 /boot/efi vfat rw 0 0\n"
_PVS = "  /dev/sda3  VG_XenStorage-8ec35484-8efc-51a1-80d2-b4ccf67922a4\n"


def sample_storage(host: str = "plot4") -> Any:
    """What `gather_storage` reads on a host with a spare disk (sdb: two free partitions), fixed."""
    from xentui.actions.storage import StorageFacts, classify_devices, parse_mounts, parse_pvs

    devices = classify_devices(_PARTITIONS, parse_mounts(_MOUNTS), parse_pvs(_PVS), {"sda3": "Local storage"}, "sda")
    return StorageFacts(host, host_uuid(host), host, devices, {"Local storage"})
