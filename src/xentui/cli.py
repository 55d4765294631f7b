"""The `xentui` command line: console, demo, status, check, plan, discover, sim.

Start-up is paid by every `xentui check` a monitoring system runs: this
module imports only the standard library's argparse at load time. Each
command imports what it needs (pydantic with the config, asyncssh with the
engine, Textual with the console, the simulator for `demo`/`sim`);
tests/test_startup.py holds it to that.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    from .config import Config, PoolConfig
    from .diagnosis import Diagnosis
    from .engine.deadline import BoundedProbe
    from .model import HostFacts

TEARDOWN = 0.3  # of a --deadline, kept for closing the sessions and printing (s)

# Exit codes by verdict (Verdict is a StrEnum: its members look these up).
NAGIOS = {"healthy": 0, "degraded": 1, "master-lost": 2, "split-brain": 2, "unknown": 3}


def _load(args: argparse.Namespace) -> tuple[Config, PoolConfig]:
    from .config import ConfigError, find_config, load_config

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


def status_json(
    pool: str, facts: list[HostFacts], d: Diagnosis, seconds: float, outstanding: list[str] | None = None
) -> dict[str, Any]:
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
        "outstanding": outstanding or [],
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
    lines.extend(f"  … {x}" for x in doc.get("outstanding", []))
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


async def _probe(
    config: Config, pool: PoolConfig, early: bool, end_at: float | None = None, ask: bool = True,
    lease_out: list[Any] | None = None,
) -> BoundedProbe:
    """One probe; with `end_at` (monotonic), it ends then at the latest, or at the verdict's speed (engine/deadline.py).

    With `ask` and a terminal, a pool whose hosts refused every key and for which
    no password is held is asked for one once, without echo, and probed again.
    """
    from .diagnosis import Diagnosis, Verdict
    from .engine.deadline import probe_within
    from .engine.pool import PoolEngine
    from .engine.secrets import ask_on_terminal, fetch_password, hold_password

    engine = PoolEngine(pool, config.settings, password=await fetch_password(pool, config.settings))
    started = time.monotonic()
    shown: set[str] = set()

    def on_diagnosis(d: Diagnosis) -> None:
        if d.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN) and d.verdict.value not in shown:
            shown.add(d.verdict.value)
            print(f"[{time.monotonic() - started:4.1f} s] {d.verdict.value.upper()}: {d.summary}", flush=True)

    try:
        deadline = None if end_at is None else max(0.5, end_at - time.monotonic())  # imports took their share
        r = await probe_within(engine, deadline, on_diagnosis if early else None)
        prompt = ask_on_terminal(pool.name) if ask else None
        if prompt is not None and engine.needs_password:
            password = await prompt()
            if password:
                hold_password(pool.name, password)
                engine.use_password(password)
                deadline = None if end_at is None else max(0.5, end_at - time.monotonic())
                r = await probe_within(engine, deadline, on_diagnosis if early else None)
        if lease_out is not None:  # who holds the pool's lease, read on every host that answered
            lease_out.append(await _read_lease(engine, end_at))
        return r
    finally:
        await engine.stop()


async def _read_lease(engine: Any, end_at: float | None) -> Any:
    """The pool's lease as every reachable host says (None when the deadline left no time to ask)."""
    import asyncio

    from .actions.lease import read_pool_lease

    left = None if end_at is None else end_at - time.monotonic()
    if left is not None and left <= 0.05:
        return None
    try:
        return await asyncio.wait_for(read_pool_lease(engine), left)
    except (asyncio.TimeoutError, TimeoutError):
        return None


def lease_json(view: Any) -> dict[str, Any]:
    """`status --json`'s "lease": the holders seen (who, from where, which plan, since, expiry, stale, hosts)."""
    if view is None:
        return {"read": False, "holders": []}
    return {"read": True, "hosts_read": len(view.hosts), "holders": view.json()}


def lease_lines(view: Any) -> list[str]:
    from .actions.lease import describe

    if view is None:
        return ["Lease: not read (no time left before the deadline)"]
    return [
        f"{'STALE LEASE' if rec.stale(view.now) else 'LEASE'}: held by {describe(rec, view.now)} "
        f"on {len(hosts)} of {len(view.hosts)} hosts ({', '.join(hosts)})"
        for rec, hosts in view.others()
    ]


def _deadline(args: argparse.Namespace) -> float | None:
    """When the probe must end (monotonic): `--deadline` bounds the whole command, start-up and output too."""
    deadline = None if getattr(args, "complete", False) else getattr(args, "deadline", None)
    return None if deadline is None else getattr(args, "started", time.monotonic()) + deadline - TEARDOWN


def cmd_status(args: argparse.Namespace) -> int:
    import asyncio
    import json

    config, pool = _load(args)
    config = _with_overrides(config, args)
    leases: list[Any] = []
    r = asyncio.run(_probe(config, pool, early=not args.json, end_at=_deadline(args), lease_out=leases))
    doc = status_json(pool.name, r.facts, r.diagnosis, r.seconds, r.outstanding)
    view = leases[0] if leases else None
    doc["lease"] = lease_json(view)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(status_table(doc))
        print("\n".join(lease_lines(view)) or "Lease: nobody holds the pool")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio

    from .config import ConfigError

    try:
        config, pool = _load(args)
    except ConfigError as e:
        print(f"XENTUI UNKNOWN - {e}")
        return 3
    config = _with_overrides(config, args)
    r = asyncio.run(_probe(config, pool, early=False, end_at=_deadline(args), ask=False))  # a plugin never prompts
    facts, d, seconds = r.facts, r.diagnosis, r.seconds
    up = sum(1 for f in facts if f.reachable)
    label = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}[NAGIOS[d.verdict]]
    perf = f"hosts_up={up};;;0;{len(facts)} hosts_total={len(facts)} masters={len(d.masters)} probe_seconds={seconds:.3f}s"
    late = f" ({len(r.outstanding)} hosts: no answer yet after {seconds:.1f} s)" if r.outstanding else ""
    print(f"XENTUI {label} - pool {pool.name} {d.verdict.value}: {d.summary}{late} | {perf}")
    for line in r.outstanding:  # Nagios shows the lines after the first as long output
        print(line)
    return NAGIOS[d.verdict]


def cmd_plan(args: argparse.Namespace) -> int:
    """Probe once and print the plan the console would propose now; nothing is run."""
    import asyncio
    import json

    from .actions import plan_report, plan_text, propose_plan
    from .actions.fingerprint import saved_plan

    config, pool = _load(args)
    config = _with_overrides(config, args)
    r = asyncio.run(_probe(config, pool, early=False, end_at=_deadline(args)))
    plan = propose_plan(r.facts, r.diagnosis)
    if args.json:  # also the file `xentui apply` runs: the plan whole, and the facts it was made from
        doc = saved_plan(plan_report(plan), plan.model_dump(mode="json"), r.facts, r.diagnosis, time.time())
        print(json.dumps(doc, indent=2))
    else:
        print(plan_text(plan))
    return 0


# --------------------------------------------------------------------------- discover


def cmd_discover(args: argparse.Namespace) -> int:
    import asyncio

    from .config import Config, ConfigError, default_config_path, find_config, load_config
    from .discover import discover_pool, target_for, write_pool

    try:
        path = find_config(args.config)
        settings = load_config(path).settings
    except ConfigError:
        path = Path(args.config) if args.config else default_config_path()
        settings = Config().settings
    pool = asyncio.run(discover_pool(target_for(args.host, args.user, args.ssh_config), settings))
    opts = {k: getattr(args, k) for k in ("user", "ssh_config") if getattr(args, k)}
    write_pool(path, pool, name=args.name, host_names=args.host_names, force=args.force, options=opts)
    print(f"pool {args.name or pool.name!r}: {len(pool.hosts)} hosts written to {path}")
    for h in pool.hosts:
        print(f"  {h.name:12} {h.address:16} {h.uuid}")
    return 0


# --------------------------------------------------------------------------- console and demo


def cmd_onboard(args: argparse.Namespace) -> int:
    from . import onboard_check

    config, pool = _load(args)
    return onboard_check.run(args, _with_overrides(config, args), pool)


def cmd_console(args: argparse.Namespace) -> int:
    from .config import ConfigError, find_config, load_config
    from .ui.app import run_console

    path = find_config(args.config)
    config = load_config(path)
    if not config.pools:
        raise ConfigError(f"{path}: no [[pool]] defined (try `xentui discover HOST`, or `xentui demo`)")
    if args.pool:
        config.pool(args.pool)  # an unknown name is a clear error before the screen opens
    # Several pools: the console watches them all and shows the one in trouble first.
    return run_console(
        _with_overrides(config, args), pool_name=args.pool, dry_run=getattr(args, "dry_run", False), config_path=path,
        read_only=getattr(args, "read_only", False),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from .devtools.demo import run_demo

    return run_demo(
        hosts=args.hosts, scenario=args.scenario, fuse=args.fuse, dry_run=getattr(args, "dry_run", False), release=args.release,
        read_only=getattr(args, "read_only", False),
    )


def cmd_exporter(args: argparse.Namespace) -> int:
    import asyncio

    from .config import find_config, load_config
    from .exporter import run_exporter

    config = _with_overrides(load_config(find_config(args.config)), args)
    if getattr(args, "pool", None):  # one pool only; by default every pool of the config
        config = config.model_copy(update={"pools": (config.pool(args.pool),)})
    return asyncio.run(run_exporter(config, args.listen))


def cmd_completion(args: argparse.Namespace) -> int:
    from .completion import completion_script

    print(completion_script(args.shell), end="")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from .watch import cmd_watch as watch

    config, pool = _load(args)
    return watch(_with_overrides(config, args), pool, args.json)


def cmd_apply(args: argparse.Namespace) -> int:
    from .apply import cmd_apply as apply
    from .config import find_config, load_config

    config = _with_overrides(load_config(find_config(args.config)), args)
    return apply(args, config, config.pool)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import cmd_report as report

    config, pool = _load(args)
    return report(config, pool, args.since, args.until)


def cmd_sim(args: argparse.Namespace) -> int:
    """The simulator's own parser reads its arguments: it is imported only for `xentui sim`."""
    from .sim.__main__ import add_arguments, run

    p = argparse.ArgumentParser(prog="xentui sim", description="run the simulated pool alone (for ssh and tests)")
    add_arguments(p)
    return run(p.parse_args(args.sim_argv))


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xentui", description="A console for XenServer / XCP-ng pools in trouble.")
    p.add_argument("--version", action="version", version=f"xentui {__version__}")
    p.add_argument("--config", help="pool config file (default: $XENTUI_CONFIG, then the user config dir)")
    p.add_argument("--pool", help="which pool of the config (default: the only one)")
    p.add_argument("--dry-run", action="store_true", help="console: show the commands, run none")
    p.add_argument("--read-only", action="store_true",
                   help="watch only: every change key and `apply` refuse (also read_only = true in [settings])")
    sub = p.add_subparsers(dest="command")

    def timeouts(sp: argparse.ArgumentParser, deadline: float | None = None) -> None:
        sp.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
        sp.add_argument("--pool", default=argparse.SUPPRESS, help="which pool of the config")
        sp.add_argument("--connect-timeout", type=float, help="SSH connect timeout (s)")
        sp.add_argument("--command-timeout", type=float, help="remote command timeout (s)")
        sp.add_argument("--reach-timeout", type=float, help="the hosts' own TCP check of the master (s)")
        sp.add_argument(
            "--deadline", type=float, default=deadline,
            help="end the probe after this many seconds, or as soon as a master-lost/split-brain verdict is settled "
            "by the fast signals; calls still out are reported as 'no answer yet'"
            + (f" (default {deadline:g} s)" if deadline else " (default: wait for every answer)"),
        )
        sp.add_argument("--complete", action="store_true", help="wait for every answer or timeout (no deadline)")

    st = sub.add_parser("status", help="one probe of the pool: every host's view and the diagnosis")
    timeouts(st)
    st.add_argument("--json", action="store_true", help="machine-readable output")
    ck = sub.add_parser("check", help="Nagios/Icinga plugin: status line + perfdata, exit 0/1/2/3")
    timeouts(ck, deadline=5.0)
    pl = sub.add_parser("plan", help="one probe, then the plan the console would propose now (runs nothing)")
    timeouts(pl)
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    ap = sub.add_parser("apply", help="run a plan saved by `plan --json` (re-checked first): lease, confirmation, "
                        "read-back; exit 0 done, 1 incomplete, 2 bad file, 3 pool changed, 4 lease held, "
                        "5 read-only, 6 refused")
    ap.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
    ap.add_argument("--pool", default=argparse.SUPPRESS, help="which pool of the config (default: the plan's)")
    ap.add_argument("--connect-timeout", type=float, help="SSH connect timeout (s)")
    ap.add_argument("--command-timeout", type=float, help="remote command timeout (s)")
    ap.add_argument("--reach-timeout", type=float, help="the hosts' own TCP check of the master (s)")
    ap.add_argument("planfile", help="the JSON `xentui plan --json` printed")
    ap.add_argument("--yes", action="store_true", help="confirm every step (scripts); else type each dangerous "
                    "step's host name")
    ap.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS, help="show the commands, run none")
    ap.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse (exit 5)")
    ap.add_argument("--take-over", metavar="WHO", help="take over a live lease held by WHO (their login or "
                    "login@jumpbox, as the refusal names them); audited")
    wt = sub.add_parser("watch", help="the console's engine without a screen: one line per event until interrupted")
    timeouts(wt)
    wt.add_argument("--json", action="store_true", help="one JSON object per line")
    rp = sub.add_parser("report", help="a Markdown post-mortem from the pool's journal and the audit")
    rp.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
    rp.add_argument("--pool", default=argparse.SUPPRESS, help="which pool of the config")
    rp.add_argument("--since", help="from this time: 03:33:40, 2026-12-03 03:33:40 (UTC unless it says +01:00), or a time ago: 2h, 90m, 1d")
    rp.add_argument("--until", help="up to this time (the same forms as --since)")
    dc = sub.add_parser("discover", help="list a pool's hosts from one member and write the config")
    dc.add_argument("host", help="one pool member (ssh alias or address)")
    dc.add_argument("--name", help="pool name to write (default: the pool's own name-label)")
    dc.add_argument("--user", help="SSH user")
    dc.add_argument("--ssh-config", help="ssh_config file to use")
    dc.add_argument("--config", default=argparse.SUPPRESS, help="config file to add the pool to")
    dc.add_argument("--host-names", action="store_true", help="write the hosts' name-labels (ssh aliases), not addresses")
    dc.add_argument("--force", action="store_true", help="replace the hosts of a pool of the same name")
    ex = sub.add_parser("exporter", help="Prometheus/OpenMetrics: watch every pool of the config, serve /metrics")
    timeouts(ex)
    ex.add_argument("--listen", default="127.0.0.1:9781", metavar="ADDR:PORT",
                    help="where to serve /metrics (default 127.0.0.1:9781; :PORT for every address)")
    co = sub.add_parser("completion", help="print the shell completion script (bash, zsh or fish)")
    co.add_argument("shell", choices=["bash", "zsh", "fish"],
                    help="bash: `source <(xentui completion bash)`; zsh: the same after compinit; "
                         "fish: `xentui completion fish > ~/.config/fish/completions/xentui.fish`")
    ob = sub.add_parser("onboard", help="pre-join checks for a new host, no screen, no change: exit 0/1/3")
    timeouts(ob)
    ob.add_argument("--check", metavar="HOST", required=True,
                    help="the host to join (ssh alias or address): run the pre-join checks, change nothing")
    ob.add_argument("--json", action="store_true", help="machine-readable output")
    dm = sub.add_parser("demo", help="the console on a simulated 8-host pool (real SSH on loopback)")
    dm.add_argument("--hosts", type=int, default=8, help="number of simulated hosts (default 8)")
    dm.add_argument("--scenario", default="healthy",
                    help="history to start from: healthy, master-shutdown, master-cable-pulled, split-brain, "
                         "host-offline, onboarding")
    dm.add_argument("--fuse", type=float, default=3.0, help="simulated toolstack restart delay (s)")
    dm.add_argument("--release", default="xcpng-8.2", help="xcpng-8.2 | xcpng-8.3 | xenserver-8 (default xcpng-8.2)")
    # its options are the simulator's own parser's (main() hands them over): `xentui status` loads no sim module
    sub.add_parser("sim", add_help=False, help="run the simulated pool alone (for ssh and tests); sim --help for options")
    return p


# Commands that probe once, print and end: run as a process of their own (`run`), they skip the
# garbage collector and the interpreter's teardown.
ONE_SHOT = ("status", "check", "plan")


def run() -> None:
    """`xentui` as a process of its own: the console script and `python -m xentui`.

    For the one-shot commands (`ONE_SHOT`) two costs of the interpreter are
    skipped (bench/results.md has the figures): the cyclic garbage collector
    — ~120 passes, ~75 ms of an 8-host `status`, for a heap that stays ~60 MB
    with or without them in a run bounded by its deadline — and the
    teardown after the answer is printed (freeing every module and object one
    by one, ~0.1 s with 64 sessions): output is flushed, then the process
    ends. Every other command runs with the collector, as usual.
    """
    from .pipes import READER_GONE, detach_stdout

    gc.disable()
    try:
        rc = main(own_process=True)
    except BrokenPipeError:  # `xentui status | head`: the reader left; not an error of ours
        detach_stdout()
        rc = READER_GONE
    sys.exit(rc)


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    started = time.monotonic()
    parser = build_parser()
    from .completion import answer_completion

    answer_completion(parser)  # the shell's TAB: answered from this parser, then exit
    args, rest = parser.parse_known_args(argv)
    args.started = started
    if args.command == "sim":
        args.sim_argv = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from .config import ConfigError  # the commands' one common error (pydantic is loaded past --version/--help)
    from .pipes import quiet_third_party_warnings

    quiet_third_party_warnings()  # before any command imports asyncssh

    handlers = {
        None: cmd_console,
        "status": cmd_status,
        "check": cmd_check,
        "plan": cmd_plan,
        "discover": cmd_discover,
        "onboard": cmd_onboard,
        "watch": cmd_watch,
        "report": cmd_report,
        "apply": cmd_apply,
        "demo": cmd_demo,
        "exporter": cmd_exporter,
        "completion": cmd_completion,
        "sim": cmd_sim,
    }
    one_shot = own_process and args.command in ONE_SHOT
    if not one_shot:
        gc.enable()
    try:
        rc = handlers[args.command](args)
    except ConfigError as e:
        print(f"xentui: {e}", file=sys.stderr)
        rc = 2
    except KeyboardInterrupt:
        rc = 130
    if one_shot:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


if __name__ == "__main__":
    run()
