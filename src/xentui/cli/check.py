"""`xentui check`: the Nagios/Icinga plugin: a status line with perfdata, exit 0/1/2/3."""

from __future__ import annotations

import argparse

from xentui.cli.common import deadline, load_pool, probe, with_overrides


# Exit codes by verdict (Verdict is a StrEnum: its members look these up).
NAGIOS = {"healthy": 0, "degraded": 1, "master-lost": 2, "split-brain": 2, "unknown": 3}


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
    up = sum(1 for f in facts if f.reachable)
    label = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[NAGIOS[d.verdict]]
    perf = f"hosts_up={up};;;0;{len(facts)} hosts_total={len(facts)} masters={len(d.masters)} probe_seconds={seconds:.3f}s"
    late = f" ({len(r.outstanding)} hosts: no answer yet after {seconds:.1f} s)" if r.outstanding else ""
    print(f"XENTUI {label} - pool {pool.name} {d.verdict.value}: {d.summary}{late} | {perf}")
    for line in r.outstanding:  # Nagios shows the lines after the first as long output
        print(line)
    return NAGIOS[d.verdict]
