"""`python -m xentui.screenshots`: regenerate `screenshots/*.svg` from a headless demo.

The work is done in `xentui.ui.screenshots` (the only package that may
import Textual); this module is the command-line entry.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from xentui.ui.screenshots import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
