"""The `xentui` command line: the parser, and each command handed to its own module (`xentui.cli.<command>.main`).

Start-up is paid by every `xentui check` a monitoring system runs: this
module imports only the standard library's argparse at load time. Each
command imports what it needs (pydantic with the config, asyncssh with the
engine, Textual with the console, the simulator for `demo`/`sim`);
tests/cli/test_startup.py holds it to that.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import time

from xentui import __version__

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

    def connection(sp: argparse.ArgumentParser, pool_help: str = "which pool of the config") -> None:
        sp.add_argument("--config", default=argparse.SUPPRESS, help="pool config file")
        sp.add_argument("--pool", default=argparse.SUPPRESS, help=pool_help)
        sp.add_argument("--connect-timeout", type=float, help="SSH connect timeout (s)")
        sp.add_argument("--command-timeout", type=float, help="remote command timeout (s)")
        sp.add_argument("--reach-timeout", type=float, help="the hosts' own TCP check of the master (s)")

    def timeouts(sp: argparse.ArgumentParser, deadline: float | None = None) -> None:
        connection(sp)
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
    connection(ap, pool_help="which pool of the config (default: the plan's)")
    ap.add_argument("planfile", help="the JSON `xentui plan --json` printed")
    ap.add_argument("--yes", action="store_true", help="confirm every step (scripts); else type each dangerous "
                    "step's host name")
    ap.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS, help="show the commands, run none")
    ap.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse (exit 5)")
    ap.add_argument("--take-over", metavar="WHO", help="take over a live lease held by WHO (their login or "
                    "login@jumpbox, as the refusal names them); audited")
    pw = sub.add_parser("power", help="out-of-band power through each host's BMC, an attestation, the stranded VMs: "
                        "status | on | off | cycle | attest | vms HOST (exit 0 done, 1 incomplete, 6 refused)")
    connection(pw)
    pw.add_argument("action", choices=["status", "on", "off", "cycle", "attest", "vms"],
                    help="status: every BMC; on/off/cycle: through the BMC; attest: type the host off; vms: its stranded VMs")
    pw.add_argument("host", nargs="?", help="the host (every action but status)")
    pw.add_argument("--yes", action="store_true", help="confirm every step (scripts); never an attestation")
    pw.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS, help="show the steps, run none")
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
                         "host-offline, onboarding, ha-master-lost, ha-wedged")
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
    from xentui.cli.pipes import READER_GONE, detach_stdout

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
    from xentui.cli.completion import answer_completion

    answer_completion(parser)  # the shell's TAB: answered from this parser, then exit
    args, rest = parser.parse_known_args(argv)
    args.started = started
    if args.command == "sim":
        args.sim_argv = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from xentui.core.config import ConfigError  # the commands' one common error (pydantic is loaded past --version/--help)
    from xentui.cli.pipes import quiet_third_party_warnings

    quiet_third_party_warnings()  # before any command imports asyncssh

    one_shot = own_process and args.command in ONE_SHOT
    if not one_shot:
        gc.enable()
    try:
        rc = importlib.import_module(f"xentui.cli.{args.command or 'console'}").main(args)
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
