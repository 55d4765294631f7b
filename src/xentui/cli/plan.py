"""`xentui plan [--json]`: one probe, then the plan the console would propose now; nothing is run."""

from __future__ import annotations

import argparse
import time

from xentui.cli.common import deadline, load_pool, probe, with_overrides


def main(args: argparse.Namespace) -> int:
    """Probe once and print the plan the console would propose now; nothing is run."""
    import asyncio
    import json

    from xentui.actions import plan_report, plan_text, propose_plan
    from xentui.actions.fingerprint import saved_plan

    config, pool = load_pool(args)
    config = with_overrides(config, args)
    r = asyncio.run(probe(config, pool, early=False, end_at=deadline(args)))
    plan = propose_plan(r.facts, r.diagnosis)
    if args.json:  # also the file `xentui apply` runs: the plan whole, and the facts it was made from
        doc = saved_plan(plan_report(plan), plan.model_dump(mode="json"), r.facts, r.diagnosis, time.time())
        print(json.dumps(doc, indent=2))
    else:
        print(plan_text(plan))
    return 0
