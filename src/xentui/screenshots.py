"""`python -m xentui.screenshots`: regenerate `screenshots/*.svg` from a headless demo.

The work is done in `xentui.devtools.screenshots` (development tools, out of
the console's import path); this module is the command-line entry.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from xentui.devtools.screenshots import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
