"""bench/results.md holds several benchmarks' figures: each script replaces only its own section.

A section is the text between `<!-- NAME -->` and `<!-- /NAME -->`; a script that finds no
such markers appends its section at the end. Everything else in the file is kept as it is.
"""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name} -->", f"<!-- /{name} -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace section `name` of `path` with `body` (the markers are added around it)."""
    begin, end = markers(name)
    text = f"{begin}\n{body.strip(chr(10))}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    if begin in old and end in old:
        new = re.sub(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", lambda _m: text, old, count=1, flags=re.S)
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + text
    path.write_text(new)
