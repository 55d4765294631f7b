"""`xentui demo`: the console on a simulated pool over real SSH on loopback (the wiring is devtools/demo.py)."""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from xentui.devtools.demo import run_demo

    return run_demo(
        hosts=args.hosts, scenario=args.scenario, fuse=args.fuse, dry_run=getattr(args, "dry_run", False),
        release=args.release, read_only=getattr(args, "read_only", False),
    )
