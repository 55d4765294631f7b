"""`xentui power status | on HOST | off HOST | cycle HOST | attest HOST | vms HOST`: out-of-band power and
the VMs a lost host left stranded, through the same runner as every change (lease, typed confirmation or
--yes, --dry-run, read-back, audit).

* `status`: every BMC's reading (state, when, which BMC), or its error, and the TLS warning;
* `on` / `off` / `cycle`: the BMC action, the power state read back (on: the host watched coming back);
* `attest`: no BMC: type the host's name to attest it is physically off (never covered by --yes);
* `vms`: the lost host's stranded VMs reset and started on the survivors (refused unless it is fenced
  or attested).

Exit: 0 done, 1 incomplete, 2 config / usage, 6 refused.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from xentui.cli.common import load_pool, with_overrides


def _say(text: str) -> None:
    print(text, flush=True)


async def _run(args: argparse.Namespace, config: Any, pool: Any) -> int:
    from xentui.actions.plan import StepAction
    from xentui.actions.power import plan_attest_off, plan_power, plan_stranded_vms, read_stranded, serving_master
    from xentui.actions.runner import PlanRunner
    from xentui.cli.apply import _progress, confirm_step
    from xentui.engine.pool import PoolEngine
    from xentui.engine.secrets import fetch_password
    from xentui.trail.audit import AuditLog

    engine = PoolEngine(pool, config.settings, password=await fetch_password(pool, config.settings))
    try:
        if args.action == "status":
            readings = await asyncio.gather(*(engine.power.read(h) for h in engine.power.hosts))
            if not readings:
                _say(f"pool {pool.name}: no BMC configured ([pool.bmc.<host>] in the config)")
                return 0
            for host, p in zip(engine.power.hosts, readings):
                assert p is not None
                when = time.strftime("%H:%M:%S UTC", time.gmtime(p.at))
                _say(f"{host:<10} {p.error and 'unknown' or (p.raw or p.state.value):<8} at {when}  {p.bmc}")
                for extra in (p.error, p.warning):
                    if extra:
                        _say(f"  ! {extra}")
            return 0
        if args.host is None:
            _say(f"xentui power {args.action}: name the host")
            return 2
        if args.host not in engine.facts:
            _say(f"xentui power {args.action}: {args.host!r} is not a host of pool {pool.name}")
            return 2
        d = await engine.probe_once()
        facts = engine.facts
        if args.action == "attest":
            plan = plan_attest_off(args.host, facts)
        elif args.action == "vms":
            master = serving_master(facts, d)
            vms, err = ([], "no reachable master the pool follows") if master is None else \
                await read_stranded(engine, master, args.host)
            plan = plan_stranded_vms(facts, d, master, args.host, vms, read_error=err)
            for v in plan.vms:
                _say(f"VM {v.name}  {v.uuid}  ha-restart-priority: {v.ha_restart_priority or '-'}"
                     + ("  (HA's: not touched)" if v in plan.ha_left else ""))
        else:
            action = {"on": StepAction.POWER_ON, "off": StepAction.POWER_OFF, "cycle": StepAction.POWER_CYCLE}[args.action]
            plan = plan_power(args.host, action, facts)
        runner = PlanRunner(engine, AuditLog(config.settings.audit_path), confirm_step(args.yes), dry_run=args.dry_run,
                            fuse=config.settings.toolstack_fuse, on_progress=_progress)
        report = await runner.run(plan)
    finally:
        await engine.stop()
    _say(report.text())
    if report.refused is not None:
        return 6
    return 0 if report.complete or args.dry_run else 1


def main(args: argparse.Namespace) -> int:
    config, pool = load_pool(args)
    config = with_overrides(config, args)
    try:
        return asyncio.run(_run(args, config, pool))
    except KeyboardInterrupt:
        return 130
