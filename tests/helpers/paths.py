"""Where the tests' shared data lives: the tests mirror the code's folders, the data stays at the top."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
SRC = ROOT / "src"
GOLDEN = TESTS / "golden"  # hand-checked outputs, one file per case (see its README)
REAL = TESTS / "fixtures" / "real"  # transcripts and corpora taken from xapi's source at release tags
