"""`xentui plan [--json]`: one probe, then the plan the console would propose now; nothing is run."""

from __future__ import annotations

import argparse
import time
from typing import Any

from xentui.cli.common import deadline, load_pool, probe, with_overrides


def main(args: argparse.Namespace) -> int:
    """Probe once and print the plan the console would propose now; nothing is run."""
    import asyncio
    import json

    from xentui.actions import plan_report, plan_text, propose_plan
    from xentui.actions.fingerprint import saved_plan

    config, pool = load_pool(args)
    config = with_overrides(config, args)
    stranded: list[Any] = []
    r = asyncio.run(probe(config, pool, early=False, end_at=deadline(args), then=stranded_plans(stranded)))
    plan = propose_plan(r.facts, r.diagnosis)
    if args.json:  # also the file `xentui apply` runs: the plan whole, and the facts it was made from
        doc = saved_plan(plan_report(plan), plan.model_dump(mode="json"), r.facts, r.diagnosis, time.time())
        doc["stranded_vms"] = [stranded_report(p) for p in stranded]
        print(json.dumps(doc, indent=2))
    else:
        print(plan_text(plan))
        for p in stranded:
            print()
            print(plan_text(p))
            for v in p.vms:
                print(f"  VM {v.name}  {v.uuid}  ha-restart-priority: {v.ha_restart_priority or '-'}"
                      + ("  (HA's: not touched)" if v in p.ha_left else ""))
    return 0


def stranded_plans(out: list[Any]) -> Any:
    """After the probe, on the master the pool follows: the VMs each lost host left running (issue 28)."""

    async def read(engine: Any, r: Any) -> None:
        from xentui.actions.power import lost_hosts, plan_stranded_vms, read_stranded, serving_master

        facts, d = engine.facts, r.diagnosis
        master = serving_master(facts, d)
        for lost in lost_hosts(facts, d):
            if master is None:
                out.append(plan_stranded_vms(facts, d, None, lost, [], read_error=(
                    "no reachable master the pool follows: the VMs are read after the promotion and recovery")))
                continue
            vms, err = await read_stranded(engine, master, lost)
            out.append(plan_stranded_vms(facts, d, master, lost, vms, read_error=err))

    return read


def stranded_report(p: Any) -> dict[str, Any]:
    """A stranded-VM plan as `plan --json` shows it: its steps or its refusal, and every VM it saw."""
    from xentui.actions import plan_report

    doc = plan_report(p)
    doc.update(lost_host=p.lost_host, master=p.master, gate=p.gate, read_error=p.read_error,
               vms=[{"uuid": v.uuid, "name": v.name, "ha_restart_priority": v.ha_restart_priority,
                     "touched": v not in p.ha_left} for v in p.vms])
    return doc
