#!/usr/bin/env python3
"""Seeded fault timelines against the simulator, every claim checked against its truth.

    tools/truth_check.py --timelines 300 --parallel 4   # the figures into bench/results.md
    tools/truth_check.py --seed 17 -v                     # replay one timeline, step by step
    tools/truth_check.py --starve 600                     # a healthy pool, the client starved of CPU

See xentui.devtools.truth_check.
"""
from xentui.cli.pipes import quiet_third_party_warnings

quiet_third_party_warnings()  # before asyncssh is imported, as the xentui command does

from xentui.devtools.truth_check_cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
