"""`xentui sim`: the simulator alone; its own parser reads the arguments (it is imported only here)."""

from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    from xensim.__main__ import add_arguments, run

    p = argparse.ArgumentParser(prog="xentui sim", description="run the simulated pool alone (for ssh and tests)")
    add_arguments(p)
    return run(p.parse_args(args.sim_argv))
