"""`xentui report`: a Markdown post-mortem from the pool's journal and the audit (the work is in trail/report.py)."""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from xentui.cli.common import load_pool
    from xentui.trail.report import cmd_report as report

    config, pool = load_pool(args)
    return report(config, pool, args.since, args.until)
