"""`xentui check`: the Nagios/Icinga plugin: a status line with perfdata, exit 0/1/2/3."""

from __future__ import annotations

import argparse

from xentui.cli.common import deadline, load_pool, probe, with_overrides


# Exit codes by verdict (Verdict is a StrEnum: its members look these up).
# HA electing is a WARNING (HA handles it; the time left is in the summary), recovered a WARNING (a
# host is fenced or rebooting), wedged CRITICAL (nobody will elect a master without an operator).
NAGIOS = {"healthy": 0, "degraded": 1, "master-lost": 2, "split-brain": 2, "unknown": 3,
          "ha-electing": 1, "ha-recovered": 1, "ha-wedged": 2}


def main(args: argparse.Namespace) -> int:
    import asyncio

    from xentui.core.config import ConfigError

    try:
        config, pool = load_pool(args)
    except ConfigError as e:
        print(f"XENTUI UNKNOWN - {e}")
        return 3
    config = with_overrides(config, args)
    r = asyncio.run(probe(config, pool, early=False, end_at=deadline(args), ask=False))  # a plugin never prompts
    facts, d, seconds = r.facts, r.diagnosis, r.seconds
    d = _with_ha_memory(config, pool.name, facts, d)
    up = sum(1 for f in facts if f.reachable)
    label = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[NAGIOS[d.verdict]]
    perf = f"hosts_up={up};;;0;{len(facts)} hosts_total={len(facts)} masters={len(d.masters)} probe_seconds={seconds:.3f}s"
    late = f" ({len(r.outstanding)} hosts: no answer yet after {seconds:.1f} s)" if r.outstanding else ""
    print(f"XENTUI {label} - pool {pool.name} {d.verdict.value}: {d.summary}{late} | {perf}")
    for line in r.outstanding:  # Nagios shows the lines after the first as long output
        print(line)
    return NAGIOS[d.verdict]


def _with_ha_memory(config, pool: str, facts, d):  # type: ignore[no-untyped-def]
    """HA's election window across runs: the first sighting of the loss is remembered (trail/ha_memory.py)."""
    from xentui.diagnosis import Verdict, diagnose_pool
    from xentui.trail import ha_memory

    where = config.settings.audit_path.parent
    if d.verdict not in (Verdict.HA_ELECTING, Verdict.HA_WEDGED):
        if d.verdict is not Verdict.UNKNOWN:
            ha_memory.forget(where, pool)
        return d
    if ha_memory.recall(where, pool, facts):
        d = diagnose_pool(facts, pool=pool, ha_margin=config.settings.ha_election_margin)
    if d.ha is not None and d.ha.lost_since is not None:
        ha_memory.remember(where, pool, d.ha.lost_since)
    return d
