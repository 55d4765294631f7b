"""The `xentui` command line: console, demo, status, check, plan, discover, sim."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config, ConfigError, PoolConfig, find_config, load_config, write_config
from .diagnosis import Diagnosis, Verdict
from .model import HostFacts

NAGIOS = {Verdict.HEALTHY: 0, Verdict.DEGRADED: 1, Verdict.MASTER_LOST: 2, Verdict.SPLIT_BRAIN: 2, Verdict.UNKNOWN: 3}


def _load(args: argparse.Namespace) -> tuple[Config, PoolConfig]:
    path = find_config(args.config)
    config = load_config(path)
    if not config.pools:
        raise ConfigError(f"{path}: no [[pool]] defined (try `xentui discover HOST`)")
    return config, config.pool(args.pool)


def _with_overrides(config: Config, args: argparse.Namespace) -> Config:
    updates = {
        k: getattr(args, k)
        for k in ("connect_timeout", "command_timeout", "reach_timeout")
        if getattr(args, k, None) is not None
    }
    if not updates:
        return config
    return config.model_copy(update={"settings": config.settings.model_copy(update=updates)})


# --------------------------------------------------------------------------- status / check


def host_json(f: HostFacts, diagnosis: Diagnosis) -> dict[str, Any]:
    hv = diagnosis.hosts.get(f.name)
    return {
        "name": f.name,
        "address": f.address,
        "reachable": f.reachable,
        "ssh": f.ssh.value,
        "role": f.role.value if f.role else None,
        "master_address": f.master_address,
        "follows": hv.follows if hv else None,
        "uuid": f.uuid,
        "xapi": f.xapi.value,
        "xapi_detail": f.xapi_detail,
        "pool_list": f.pool_list.value,
        "emergency_mode": f.emergency_mode,
        "reaches_master": f.reaches_master,
        "db_generation": f.db_generation,
        "latency_ms": f.latency_ms,
        "flags": [str(x) for x in hv.flags] if hv else [],
        "error": _host_error(f),
    }


def _host_error(f: HostFacts) -> str | None:
    """One line naming the host and what failed, or None."""
    if not f.reachable:
        return f.ssh_error or f"{f.name}: {f.ssh.value}"
    if f.pool_list_error:
        return f"{f.name}: xe pool-list: {f.pool_list_error}"
    return None


def status_json(pool: str, facts: list[HostFacts], d: Diagnosis, seconds: float) -> dict[str, Any]:
    return {
        "pool": pool,
        "verdict": d.verdict.value,
        "summary": d.summary,
        "master": d.master.model_dump() if d.master else None,
        "majority_master": d.majority_master.model_dump() if d.majority_master else None,
        "candidate": d.candidate,
        "hosts": [host_json(f, d) for f in facts],
        "recommendation": d.recommendation.model_dump(mode="json") if d.recommendation else None,
        "forbidden": [f.model_dump(mode="json") for f in d.forbidden],
        "probe_seconds": round(seconds, 3),
    }


def _cell(v: Any, alarm_when: bool = False) -> str:
    """A table cell; the alarming value of a flag is in capitals."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return ("YES" if v else "no") if alarm_when else ("yes" if v else "NO")
    return str(v)


def status_table(doc: dict[str, Any]) -> str:
    cols = ["name", "ssh", "role", "follows", "xapi", "emergency_mode", "reaches_master", "db_generation", "latency_ms"]
    heads = ["HOST", "SSH", "ROLE", "MASTER", "TOOLSTACK", "EMERG", "REACHES", "DB GEN", "MS"]
    rows = [[_cell(h[c], alarm_when=(c == "emergency_mode")) for c in cols] for h in doc["hosts"]]
    widths = [max(len(x) for x in col) for col in zip(heads, *rows)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip() for r in [heads, *rows]]
    for h in doc["hosts"]:
        if h["error"]:
            lines.append(f"  ! {h['error']}")
    lines.append("")
    summary = doc["summary"].removeprefix(f"Pool {doc['pool']}: ")
    lines.append(f"Pool {doc['pool']}: {doc['verdict'].upper()} — {summary}")
    rec = doc["recommendation"]
    if rec:
        lines.append(f"Next step: {rec['reason']}" + (f"\n  on {rec['host']}: {rec['command']}" if rec.get("command") else ""))
    for f in doc["forbidden"]:
        lines.append(f"Do NOT: {f['command'] or f['action']}" + (f" on {f['host']}" if f.get("host") else "") + f" — {f['reason']}")
    lines.append(f"(probe took {doc['probe_seconds']:.1f} s)")
    return "\n".join(lines)


async def _probe(config: Config, pool: PoolConfig, early: bool) -> tuple[list[HostFacts], Diagnosis, float]:
    from .engine.pool import PoolEngine

    engine = PoolEngine(pool, config.settings)
    started = time.monotonic()
    shown: set[str] = set()

    def on_update(_: HostFacts) -> None:
        if not early:
            return
        d = engine.diagnose()
        if d.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN) and d.verdict.value not in shown:
            shown.add(d.verdict.value)
            print(f"[{time.monotonic() - started:4.1f} s] {d.verdict.value.upper()}: {d.summary}", flush=True)

    try:
        d = await engine.probe_once(on_update)
    finally:
        await engine.stop()
    return list(engine.facts.values()), d, time.monotonic() - started


def cmd_status(args: argparse.Namespace) -> int:
    config, pool = _load(args)
    config = _with_overrides(config, args)
    facts, d, seconds = asyncio.run(_probe(config, pool, early=not args.json))
    doc = status_json(pool.name, facts, d, seconds)
    print(json.dumps(doc, indent=2) if args.json else status_table(doc))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    try:
        config, pool = _load(args)
    except ConfigError as e:
        print(f"XENTUI UNKNOWN - {e}")
        return 3
    config = _with_overrides(config, args)
    facts, d, seconds = asyncio.run(_probe(config, pool, early=False))
    up = sum(1 for f in facts if f.reachable)
    label = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[NAGIOS[d.verdict]]
    perf = f"hosts_up={up};;;0;{len(facts)} hosts_total={len(facts)} masters={len(d.masters)} probe_seconds={seconds:.3f}s"
    print(f"XENTUI {label} - pool {pool.name} {d.verdict.value}: {d.summary} | {perf}")
    return NAGIOS[d.verdict]


def cmd_plan(args: argparse.Namespace) -> int:
    """Probe once and print the plan the console would propose now; nothing is run."""
    from .actions import plan_report, plan_text, propose_plan

    config, pool = _load(args)
    config = _with_overrides(config, args)
    facts, d, _seconds = asyncio.run(_probe(config, pool, early=False))
    plan = propose_plan(facts, d)
    print(json.dumps(plan_report(plan), indent=2) if args.json else plan_text(plan))
    return 0


# --------------------------------------------------------------------------- discover


def cmd_discover(args: argparse.Namespace) -> int:
    from .config import HostEntry
    from .engine.sessions import HostSession, HostTarget
    from .xe import commands as xc
    from .xe.records import parse_records

    path = Path(args.config) if args.config else None
    try:
        path = find_config(args.config)
        config = load_config(path)
    except ConfigError:
        from .config import default_config_path

        path = Path(args.config) if args.config else default_config_path()
        config = Config()
    entry = HostEntry.parse(args.host)
    target = HostTarget(name=entry.name, host=entry.host, port=entry.port, user=args.user, ssh_config=args.ssh_config)

    async def run() -> list[dict[str, str]]:
        s = HostSession(target, connect_timeout=config.settings.connect_timeout)
        try:
            cmd = xc.timeout_wrapped(config.settings.command_timeout, xc.host_list(params=["uuid", "name-label", "address"]))
            r = await s.run(cmd, config.settings.command_timeout + 2)
        finally:
            await s.close()
        if not r.ok:
            raise SystemExit(f"xentui discover: {args.host}: {r.error or r.stderr.strip() or f'exit {r.exit_status}'}")
        return parse_records(r.stdout)

    records = asyncio.run(run())
    hosts = [rec.get("address") or rec.get("name-label", "") for rec in records]
    opts = {k: getattr(args, k) for k in ("user", "ssh_config") if getattr(args, k)}
    config = config.upsert_pool(args.name, [h for h in hosts if h], **opts)
    write_config(config, path)
    print(f"pool {args.name!r}: {len(hosts)} hosts written to {path}")
    for rec in records:
        print(f"  {rec.get('name-label', '?'):12} {rec.get('address', '?'):16} {rec.get('uuid', '')}")
    return 0


# --------------------------------------------------------------------------- console and demo


def cmd_console(args: argparse.Namespace) -> int:
    from .ui.app import run_console

    path = find_config(args.config)
    config = load_config(path)
    if not config.pools:
        raise ConfigError(f"{path}: no [[pool]] defined (try `xentui discover HOST`, or `xentui demo`)")
    if args.pool:
        config.pool(args.pool)  # an unknown name is a clear error before the screen opens
    # Several pools: the console watches them all and shows the one in trouble first.
    return run_console(
        _with_overrides(config, args), pool_name=args.pool, dry_run=getattr(args, "dry_run", False), config_path=path
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from .ui.app import run_demo

    return run_demo(hosts=args.hosts, scenario=args.scenario, fuse=args.fuse)


def cmd_watch(args: argparse.Namespace) -> int:
    from .watch import cmd_watch as watch

    config, pool = _load(args)
    return watch(_with_overrides(config, args), pool, args.json)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import cmd_report as report

    config, pool = _load(args)
    return report(config, pool, args.since, args.until)


def cmd_sim(args: argparse.Namespace) -> int:
    from .sim.__main__ import run

    return run(args)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xentui", description="A console for XenServer / XCP-ng pools in trouble.")
    p.add_argument("--version", action="version", version=f"xentui {__version__}")
    p.add_argument("--config", help="pool config file (default: $XENTUI_CONFIG, then the user config dir)")
    p.add_argument("--pool", help="which pool of the config (default: the only one)")
    p.add_argument("--dry-run", action="store_true", help="console: show the commands, run none")
    sub = p.add_subparsers(dest="command")

    def timeouts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
        sp.add_argument("--pool", default=argparse.SUPPRESS, help="which pool of the config")
        sp.add_argument("--connect-timeout", type=float, help="SSH connect timeout (s)")
        sp.add_argument("--command-timeout", type=float, help="remote command timeout (s)")
        sp.add_argument("--reach-timeout", type=float, help="the hosts' own TCP check of the master (s)")

    st = sub.add_parser("status", help="one probe of the pool: every host's view and the diagnosis")
    timeouts(st)
    st.add_argument("--json", action="store_true", help="machine-readable output")
    ck = sub.add_parser("check", help="Nagios/Icinga plugin: status line + perfdata, exit 0/1/2/3")
    timeouts(ck)
    pl = sub.add_parser("plan", help="one probe, then the plan the console would propose now (runs nothing)")
    timeouts(pl)
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    wt = sub.add_parser("watch", help="the console's engine without a screen: one line per event until interrupted")
    timeouts(wt)
    wt.add_argument("--json", action="store_true", help="one JSON object per line")
    rp = sub.add_parser("report", help="a Markdown post-mortem from the pool's journal and the audit")
    rp.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
    rp.add_argument("--pool", default=argparse.SUPPRESS, help="which pool of the config")
    rp.add_argument("--since", help="from this time (ISO 8601, UTC unless it says)")
    rp.add_argument("--until", help="up to this time (ISO 8601)")
    dc = sub.add_parser("discover", help="list a pool's hosts from one member and write the config")
    dc.add_argument("host", help="one pool member (ssh alias or address)")
    dc.add_argument("--name", default="default", help="pool name to write")
    dc.add_argument("--user", help="SSH user")
    dc.add_argument("--ssh-config", help="ssh_config file to use")
    dc.add_argument("--config", default=argparse.SUPPRESS)
    dm = sub.add_parser("demo", help="the console on a simulated 8-host pool (real SSH on loopback)")
    dm.add_argument("--hosts", type=int, default=8)
    dm.add_argument("--scenario", default="healthy")
    dm.add_argument("--fuse", type=float, default=3.0, help="simulated toolstack restart delay (s)")
    from .sim.__main__ import add_arguments

    add_arguments(sub.add_parser("sim", help="run the simulated pool alone (for ssh and tests)"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        None: cmd_console,
        "status": cmd_status,
        "check": cmd_check,
        "plan": cmd_plan,
        "discover": cmd_discover,
        "watch": cmd_watch,
        "report": cmd_report,
        "demo": cmd_demo,
        "sim": cmd_sim,
    }
    try:
        return handlers[args.command](args)
    except ConfigError as e:
        print(f"xentui: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
