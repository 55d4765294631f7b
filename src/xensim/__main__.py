"""`xentui sim`: the simulator alone, in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from .releases import DEFAULT_RELEASE, RELEASES
from .scenarios import SCENARIOS
from .server import DEFAULT_PASSWORD, FAULTS, Simulator, send_control
from .state import Timing


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hosts", type=int, default=8, help="number of hosts (plot1..plotN), default 8")
    p.add_argument("--scenario", default="healthy", choices=sorted(SCENARIOS), help="history to replay at start")
    p.add_argument("--release", default=DEFAULT_RELEASE, choices=list(RELEASES),
                   help=f"which release every host is a fresh install of (default {DEFAULT_RELEASE})")
    p.add_argument("--dir", type=Path, default=Path("sim-run"), help="where to write ssh_config, known_hosts, keys, pools.toml")
    p.add_argument("--fuse", type=float, default=10.0, help="toolstack restart delay after a transition (s)")
    p.add_argument("--base-port", type=int, default=0, help="first SSH port (default: any free port)")
    p.add_argument("--password", default=DEFAULT_PASSWORD, help="root password the hosts accept")
    sub = p.add_subparsers(dest="sim_command")
    ctl = sub.add_parser("ctl", help="apply a fault to a running simulator")
    ctl.add_argument("--dir", type=Path, default=Path("sim-run"), dest="ctl_dir",
                     help="the running simulator's directory (default sim-run)")
    ctl.add_argument("fault", help=f"one of: {', '.join(FAULTS)}, deny-auth, allow-auth, state")
    ctl.add_argument("host", nargs="?", default="", help="the simulated host to apply it to (e.g. plot1)")
    ctl.add_argument("args", nargs="*", help="e.g. latency HOST MS [JITTER_MS]")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "sim_command", None) == "ctl":
        try:
            reply = asyncio.run(send_control(args.ctl_dir, args.fault, args.host, *args.args))
        except (FileNotFoundError, ConnectionRefusedError):
            print(f"xentui sim ctl: no simulator is running in {args.ctl_dir} (no control.sock)", file=sys.stderr)
            return 1
        if not reply.get("ok"):
            print(f"xentui sim ctl: {reply.get('error')}", file=sys.stderr)
            return 1
        print(json.dumps(reply.get("state"), indent=2) if "state" in reply else reply["done"])
        return 0
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    sim = Simulator(
        args.dir.resolve(),
        hosts=args.hosts,
        scenario=args.scenario,
        timing=Timing(fuse=args.fuse),
        password=args.password,
        base_port=args.base_port,
        release=args.release,
    )
    await sim.start()
    d = sim.dir
    print(f"xentui sim: {len(sim.pool.hosts)} hosts, {RELEASES[args.release].title} "
          f"(xapi {RELEASES[args.release].xapi_tag}), scenario {args.scenario!r}: {SCENARIOS[args.scenario]}")
    for name, h in sim.pool.hosts.items():
        print(f"  {name:8} ssh 127.0.0.1:{h.ssh_port}  address {h.address}  pool.conf {h.pool_conf}")
    print(f"\n  ssh -F {d}/ssh_config plot3 xe pool-list")
    print(f"  xentui --config {d}/pools.toml")
    print(f"  xentui sim ctl --dir {d} cable-pull plot1\n\nCtrl-C stops the simulator.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="xentui sim", description=__doc__)
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
