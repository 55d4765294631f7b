"""HA facts for tests: a pool whose master was lost, each survivor's HA state as its own daemon reports it."""

from __future__ import annotations

from helpers.facts import down, stranded, uuid
from xentui.core.model import HaLivesetRow, HostFacts, Source

T0 = 1_800_000_000.0  # the cable pull, first seen
N = 4


def row(live: bool, master_: bool = False, sf: bool = True) -> HaLivesetRow:
    return HaLivesetRow(liveness=live, master=master_, statefile_access=sf)


def ha(f: HostFacts, at: float, *, armed: bool = True, t: float = 60.0, liveset: dict[int, HaLivesetRow] | None = None,
       status: str = "online", warnings: tuple[str, ...] = (), lost: float | None = None) -> HostFacts:
    f = f.model_copy(deep=True)
    f.ha_armed, f.ha_timeout, f.ha_cluster_stack = armed, t, "xhad"
    f.learned("ha_local", "head local.db", at=at)
    f.learned("ha_config", "head xhad.conf", at=at)
    if liveset is not None:
        f.ha_liveset = {uuid(i): r for i, r in liveset.items()}
        f.ha_liveset_status = status
        f.ha_liveset_warnings = list(warnings)
        f.learned("ha_liveset", "ha_query_liveset", at=at)
    elif status != "online":
        f.ha_liveset_status, f.ha_liveset_error = status, "rc 14 MTC_EXIT_DAEMON_IS_NOT_PRESENT (Daemon is not present)"
        f.learned("ha_liveset", "ha_query_liveset", at=at)
    if f.reaches_master is not None:
        f.learned("reaches_master", "tcp", at=at)
    if lost is not None:
        f.sources["ha_master_lost"] = Source(how="first seen", at=lost)
    return f


BEFORE_T = {1: row(True, True), 2: row(True), 3: row(True), 4: row(True)}  # plot1 still live to HA
AFTER_T = {1: row(False), 2: row(True), 3: row(True), 4: row(True)}
STUCK_LOCK = {1: row(False, True), 2: row(True), 3: row(True), 4: row(True)}


def lost_pool(now: float, liveset: dict[int, HaLivesetRow], **over: dict) -> list[HostFacts]:
    hosts = [down(1)]
    for i in range(2, N + 1):
        hosts.append(ha(stranded(i), now, liveset=liveset, lost=T0, **over.get(f"plot{i}", {})))
    return hosts
