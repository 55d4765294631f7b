"""Textual stays inside xentui.ui (and xentui.devtools, which drives the console): no other module imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import xentui

SRC = Path(xentui.__file__).resolve().parent
UI = SRC / "ui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def test_no_textual_outside_ui() -> None:
    offenders = []
    checked = 0
    for path in sorted(SRC.rglob("*.py")):
        if UI in path.parents:
            continue
        checked += 1
        for name in _imports(path):
            if name == "textual" or name.startswith("textual.") or name == "pytest_textual_snapshot":
                offenders.append(f"{path.relative_to(SRC.parent)} imports {name}")
    assert checked > 10  # the walk found the package
    assert offenders == []


def test_the_ui_does_import_textual() -> None:
    # the check above would pass vacuously if the parser missed imports
    assert any("textual.app" in _imports(p) or "textual" in _imports(p) for p in UI.rglob("*.py"))


def test_the_ui_opens_no_connections() -> None:
    """The UI reads facts and sends intents: no asyncssh, sockets, XenAPI or xe parsers of its own."""
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods: list[str] = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                mods = [base] + [f"{base}.{a.name}" for a in node.names]
            for m in mods:
                top = m.split(".")[0]
                if top in ("asyncssh", "socket", "XenAPI", "paramiko") or "xe.records" in m or "xe.errors" in m:
                    offenders.append(f"{path.name}: {m}")
    assert offenders == []
