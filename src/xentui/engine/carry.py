"""What a host's facts show while, and after, a probe could not learn everything: `carry_forward`.

A probe publishes a fresh `HostFacts` as each of its signals arrives, so the
first update of every poll knows only the SSH state.  Shown as is, every row
would blank out and the verdict would flicker to *degraded* once per poll (a
healthy 8-host pool read `degraded` on 115 of 220 updates).  So the engine
publishes each update over the facts the last probe settled on, group by
group: a group of fields is carried from the earlier facts only while this
probe has not learned it (its source key is absent), and its `Source` keeps
the original time, so the age shows it.

* While the probe runs on a reachable host: every group not learned yet is
  carried as it was (pending, not stale: `Source.carried`); the reach check only while the host
  is still a slave by its new pool.conf (a promoted host does not keep it).
* When the probe is over, or the host is unreachable: only the file facts
  (pool.conf, inventory, hostname, generation, own addresses) are carried,
  marked stale.  Toolstack answers are never carried past a probe: they would
  claim an answer nobody got.

Pure (facts in, facts changed in place); the engine calls it for every
publish, so the CLI and the console show the same thing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from xentui.core.model import HostFacts, Role, Source, XapiView

# source key -> the HostFacts fields it vouches for
FILE_GROUPS: dict[str, tuple[str, ...]] = {
    "role": ("role", "pool_conf_raw", "master_address"),
    "uuid": ("uuid", "product_brand", "product_version"),
    "hostname": ("hostname",),
    "db_generation": ("db_generation",),
    "own_addresses": ("own_addresses",),
    "ha_local": ("ha_armed", "ha_disable_failover", "ha_cluster_stack", "ha_peers"),
    "ha_config": ("ha_timeout", "ha_config_hosts"),
}
TOOLSTACK_GROUPS: dict[str, tuple[str, ...]] = {
    "xapi": ("xapi", "xapi_detail", "xapi_master_address", "forwarding"),
    "emergency_mode": ("emergency_mode", "emergency_error"),
    "pool_list": ("pool_list", "pool_list_error", "pool_master_uuid", "ha_enabled"),
    "ha_liveset": ("ha_liveset_status", "ha_liveset", "ha_liveset_warnings", "ha_liveset_error"),
}
LATENCY = ("latency_ms",)  # vouched for by the "files" source (the file read's round trip)
REACH = ("reaches_master", "reaches_master_detail")


def _carry(previous: HostFacts, new: HostFacts, key: str, fields: Sequence[str], stale: bool) -> None:
    if key in new.sources:
        return  # this probe learned it
    src = previous.sources.get(key)
    if src is not None:
        for name in fields:
            setattr(new, name, copy.copy(getattr(previous, name)))
        new.sources[key] = Source(how=src.how, at=src.at, stale=stale or src.stale, carried=not stale and not src.stale)
        return
    for name in fields:  # facts remembered field by field (the address book)
        field_src = previous.sources.get(name)
        if field_src is not None and name not in new.sources and getattr(previous, name) not in (None, []):
            setattr(new, name, copy.copy(getattr(previous, name)))
            new.sources[name] = Source(how=field_src.how, at=field_src.at, stale=True)


def _note_role_change(previous: HostFacts, new: HostFacts) -> None:
    """`role_changed`: when a first-hand read last found the host taking or leaving master — its
    pool.conf read with another role than before, or its XenAPI login answering master where it
    did not (or the reverse); kept from probe to probe.  The diagnosis asks every other master's
    claim to be read after it: a master read before another host took the role may have handed
    it over."""
    for key, was, now in (
        ("role", previous.role, new.role),
        ("xapi", previous.xapi is XapiView.MASTER, new.xapi is XapiView.MASTER),
    ):
        read = new.sources.get(key)
        if read is None or read.stale or read.carried or key not in previous.sources:
            continue
        if key == "xapi" and previous.xapi in (XapiView.UNKNOWN, XapiView.NO_ANSWER, XapiView.ERROR):
            continue  # no answer before: nothing to compare with
        if key == "xapi" and new.xapi in (XapiView.UNKNOWN, XapiView.NO_ANSWER, XapiView.ERROR):
            continue
        if was != now:
            new.sources["role_changed"] = Source(how=f"{key} read {now} after {was}", at=read.at)
            return
    if "role_changed" not in new.sources and "role_changed" in previous.sources:
        new.sources["role_changed"] = previous.sources["role_changed"]


def _note_ha_master_lost(previous: HostFacts, new: HostFacts) -> None:
    """`ha_master_lost`: when this armed slave was first seen without its master — its own TCP check of
    the master failed, or its HA daemon's liveset shows no live master — kept from probe to probe while
    that lasts (the start of HA's election window, diagnosis/ha.py); dropped once a fresh read shows a
    live master again."""
    if new.ha_armed is not True and previous.ha_armed is not True:
        return
    fresh_ls = new.fresh("ha_liveset") and new.ha_liveset_status == "online"
    live_master = fresh_ls and any(r.master and r.liveness for r in new.ha_liveset.values())
    signs = []
    if new.fresh("reaches_master") and new.reaches_master is False:
        signs.append(new.sources["reaches_master"].at)
    if fresh_ls and not live_master:
        signs.append(new.sources["ha_liveset"].at)
    kept = previous.sources.get("ha_master_lost")
    if signs:
        new.sources["ha_master_lost"] = kept or Source(how="first seen without its master (TCP 443 / liveset)", at=min(signs))
    elif live_master and (not new.fresh("reaches_master") or new.reaches_master is not False):
        new.sources.pop("ha_master_lost", None)
    elif kept is not None:
        new.sources["ha_master_lost"] = kept


def carry_forward(previous: HostFacts | None, new: HostFacts, complete: bool) -> HostFacts:
    """`new` with what `previous` knew for the groups `new`'s probe has not learned (changed in place).

    `complete`: the probe is over (nothing more will arrive for `new`).
    """
    if previous is None or previous.name != new.name:
        return new
    _note_role_change(previous, new)
    _note_ha_master_lost(previous, new)
    if not new.reachable:
        for key, fields in FILE_GROUPS.items():
            _carry(previous, new, key, fields, stale=True)
        return new
    if "files" not in new.sources:
        # not read yet (pending), or not read at all: failed or no answer (stale)
        stale = complete or "files_error" in new.sources
        for key, fields in FILE_GROUPS.items():
            _carry(previous, new, key, fields, stale=stale)
        if not complete:
            _carry(previous, new, "files", LATENCY, stale=False)
    if not complete:
        for key, fields in TOOLSTACK_GROUPS.items():
            if f"{key}_overdue" in new.sources:
                continue  # asked longer ago than the host's expected answer time: silence, not its last answer
            _carry(previous, new, key, fields, stale=False)
        same_master = new.master_address == previous.master_address  # a check of the old master says nothing
        if new.role is Role.SLAVE and same_master and "reaches_master" not in new.sources:
            _carry(previous, new, "reaches_master", REACH, stale=False)
    return new
