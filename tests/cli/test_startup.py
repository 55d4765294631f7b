"""Start-up: `import xentui.cli.main` loads only what every command needs (issue 16).

A monitoring system starts `xentui check` every minute; `xentui --version`
and `--help` must not pay for Textual, the simulator, asyncssh or pydantic.
Checked with the interpreter's own `-X importtime` list, in a fresh process.
"""

from __future__ import annotations

import subprocess
import sys


def _imported(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    # "import time:   self |   cumulative | <indent>module"
    return {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:") and "|" in line}


def test_importing_the_cli_loads_no_textual_no_simulator_no_engine() -> None:
    mods = _imported("import xentui.cli.main")
    assert "xentui.cli.main" in mods  # the list is read right
    heavy = sorted(
        m for m in mods
        if m.split(".")[0] in ("textual", "rich", "asyncssh", "pydantic", "XenAPI", "asyncio")
        or m.startswith(("xensim", "xentui.ui", "xentui.engine", "xentui.core.config"))
    )
    assert heavy == []


def test_version_and_help_load_nothing_heavy() -> None:
    for argv in (["--version"], ["--help"], ["sim", "--help"]):
        code = f"import sys; from xentui.cli.main import main; sys.argv[1:] = {argv!r}\ntry:\n main()\nexcept SystemExit: pass"
        mods = _imported(code)
        assert not any(m.split(".")[0] == "textual" for m in mods), argv
        if argv != ["sim", "--help"]:
            assert not any(m.startswith("xensim") or m.split(".")[0] in ("pydantic", "asyncssh") for m in mods), argv
    # and the simulator's arguments still reach the simulator's parser
    assert any(m.startswith("xensim") for m in _imported(
        "import sys; from xentui.cli.main import main; sys.argv[1:] = ['sim', '--help']\ntry:\n main()\nexcept SystemExit: pass"
    ))
