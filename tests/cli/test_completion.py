"""Shell completion from the CLI's own parser, and a help line for every option of every subcommand."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xentui.cli.main import build_parser
from xentui.cli.completion import SHELLS, completion_script


def walk(parser: argparse.ArgumentParser, path: str = "xentui"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", None, helps.get(name)
                yield from walk(sub, f"{path} {name}")
        else:
            yield path, action, action.help


def test_every_option_of_every_subcommand_has_a_help_line() -> None:
    missing = []
    seen = 0
    for path, action, text in walk(build_parser()):
        seen += 1
        if not text or text == argparse.SUPPRESS or not text.strip():
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}" if action else path)
    assert seen > 40
    assert missing == []


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_script_for_each_shell(shell: str) -> None:
    out = subprocess.run([sys.executable, "-m", "xentui", "completion", shell], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == completion_script(shell)
    assert "xentui" in out.stdout and "_ARGCOMPLETE" in out.stdout
    if shell == "bash":
        assert subprocess.run(["bash", "-n"], input=out.stdout, text=True).returncode == 0


def complete(line: str, tmp_path: Path, shell: str = "bash") -> list[str]:
    """What the shell's hook gets back for *line* (the protocol the scripts above speak)."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_SHELL": shell, "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}
    r = subprocess.run([sys.executable, "-m", "xentui"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return out.read_text().split("\n")


def test_tab_completes_subcommands_and_their_options(tmp_path: Path) -> None:
    assert {"status", "exporter", "discover", "completion", "demo"} <= {c.strip() for c in complete("xentui ", tmp_path)}
    assert [c.strip() for c in complete("xentui exporter --li", tmp_path)] == ["--listen"]
    assert {c.strip() for c in complete("xentui completion ", tmp_path)} - {"-h", "--help"} == set(SHELLS)
    assert "--force" in {c.strip() for c in complete("xentui discover plot1 --", tmp_path)}


def test_bash_completion_end_to_end(tmp_path: Path) -> None:
    """bash itself: the script sourced, the completion function called as TAB would."""
    script = tmp_path / "xentui.bash"
    script.write_text(completion_script("bash"))
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "xentui").write_text(f"#!/bin/sh\nexec {sys.executable} -m xentui \"$@\"\n")
    (shim / "xentui").chmod(0o755)
    probe = (f'source {script}\nCOMP_WORDS=(xentui exporter --li); COMP_CWORD=2; COMP_LINE="xentui exporter --li"; '
             f'COMP_POINT=${{#COMP_LINE}}\n'
             '_python_argcomplete xentui --li exporter\necho "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"})
    assert r.stdout.split() == ["--listen"], (r.stdout, r.stderr)
