"""The boundaries of the code: import-linter's contracts (pyproject.toml), and what they cannot say.

The contracts themselves live in `[tool.importlinter]` in pyproject.toml, each
exception commented: the layers (cli → devtools → ui → actions → trail →
engine → diagnosis → core → xe), the simulator alone, no simulator in the
product, Textual in the console only, the console opening no connection, the
features apart, the runner naming no feature.  Here:

* `lint-imports` passes, and fails on a copy of the tree with one bad import
  added (so the check cannot pass on an empty graph);
* what import-linter cannot express: the modules a fresh interpreter loads
  (`import xentui.ui.app` and `xentui status` load no simulator and no dev
  tool), the console never reading the app's private attributes nor reaching
  into `engine.sessions`, every kind of step registered by a feature, and no
  test module importing another.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.paths import ROOT, SRC

PKG = SRC / "xentui"
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )


def test_the_import_contracts_hold(tmp_path: Path) -> None:
    r = _lint(ROOT, tmp_path)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout and "7 kept" in r.stdout, r.stdout[-2000:]


@pytest.mark.parametrize(
    ("where", "line", "contract"),
    [
        ("xentui/diagnosis/verdict.py", "import xentui.engine.pool", "layers import only downward"),
        ("xentui/xe/files.py", "import textual.app", "Textual is imported by the console only"),
        ("xensim/network.py", "import xentui.core.model", "the simulator imports nothing of xentui"),
        ("xentui/actions/runner.py", "import xentui.actions.storage", "the runner names no feature"),
        ("xentui/actions/designate/plan.py", "import xentui.actions.storage", "each feature is its own package"),
        ("xentui/ui/screens/host.py", "import xentui.engine.sessions", "the console opens no connection"),
    ],
)
def test_a_bad_import_breaks_its_contract(where: str, line: str, contract: str, tmp_path: Path) -> None:
    """A copy of the tree with one bad import added: lint-imports fails, naming the contract."""
    root = tmp_path / "tree"
    shutil.copytree(SRC, root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    target = root / "src" / where
    target.write_text(target.read_text() + f"\n{line}  # added by the test\n")
    r = _lint(root, tmp_path)
    assert r.returncode != 0, r.stdout[-2000:]
    broken = r.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, r.stdout[-3000:]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _in(module: str, part: str) -> bool:
    return module == part or module.startswith(part + ".")


def _console_violations() -> set[tuple[str, str]]:
    """The console reading the app's private attributes, or reaching into the engine's sessions."""
    found: set[tuple[str, str]] = set()
    for path in sorted((PKG / "ui").rglob("*.py")):
        mod = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "sessions":
                found.add((mod, "reaches into engine.sessions"))
            if mod == "xentui.ui.app":
                continue  # the app's own private attributes are its own
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Attribute | ast.Name)
                and (node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id) in ("app", "xapp")
            ):
                found.add((mod, f"reads the app's private {node.attr}"))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("_")
                and ast.unparse(node.args[0]) in ("app", "self.app", "xapp", "self.xapp", "self.ctx.app")
            ):
                found.add((mod, f"reads the app's private {node.args[1].value}"))
    return found


def test_console_keeps_to_its_side() -> None:
    assert _console_violations() == set()


def test_the_private_attribute_rule_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker above is not blind: a pane reading `self.app._engine` is caught."""
    fake = tmp_path / "src" / "xentui" / "ui" / "panes"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("def f(self):\n    return self.app._engine.sessions\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path / "src")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path / "src" / "xentui")
    assert _console_violations() == {
        ("xentui.ui.panes.bad", "reads the app's private _engine"),
        ("xentui.ui.panes.bad", "reaches into engine.sessions"),
    }


def _loaded(code: str, tmp_path: Path, *args: str) -> set[str]:
    """The xentui modules a fresh interpreter imports to run `code` (python -X importtime)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    mods = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name.startswith(("xentui", "xensim")):
                mods.add(name)
    assert mods, r.stderr[-2000:]
    return mods


def test_importing_the_console_loads_no_simulator(tmp_path: Path) -> None:
    mods = _loaded("import xentui.ui.app", tmp_path)
    assert "xentui.ui.app" in mods and "xentui.engine.pool" in mods
    assert {m for m in mods if _in(m, "xensim") or _in(m, "xentui.devtools")} == set()


def test_xentui_status_loads_no_simulator(tmp_path: Path) -> None:
    config = tmp_path / "pools.toml"
    config.write_text(
        '[settings]\nconnect_timeout = 0.5\ncommand_timeout = 1.0\nreach_timeout = 0.5\n\n'
        '[[pool]]\nname = "nowhere"\nhosts = ["127.0.0.1"]\nport = 1\nuser = "root"\n'
    )
    code = "import sys; from xentui.cli.main import main; main(sys.argv[1:])"
    mods = _loaded(code, tmp_path, "--config", str(config), "status")
    assert "xentui.engine.pool" in mods and "xentui.diagnosis" in mods  # it did probe
    assert {m for m in mods if _in(m, "xensim") or _in(m, "xentui.devtools")} == set()


@pytest.mark.parametrize("code", ["import xentui.devtools.demo"])
def test_the_demo_does_load_the_simulator(code: str, tmp_path: Path) -> None:
    """The measure can see a simulator import when there is one."""
    assert any(_in(m, "xensim") for m in _loaded(code, tmp_path))


def test_every_kind_of_step_is_registered_by_a_feature() -> None:
    """Every StepAction has a kind, registered by a feature package (or the guard rails' two shared kinds);
    the runner and check_step name none."""
    from xentui.actions.features import FEATURES, load_features
    from xentui.actions.kinds import KINDS
    from xentui.actions.plan import StepAction

    load_features()
    assert set(KINDS) == set(StepAction)
    registrars = set()
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "register_step":
                registrars.add(tuple(_module_name(path).split(".")[:3]))
    assert registrars <= {("xentui", "actions", "guards")} | {
        ("xentui", "actions", f) for f in FEATURES}
    for module in ("runner.py", "guards.py"):
        source = (PKG / "actions" / module).read_text()
        tree = ast.parse(source)
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        named = [f.name for f in funcs if module == "runner.py" or f.name == "check_step"
                 if "StepAction." in ast.unparse(f)]
        assert named == [], (module, named)


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in tests/helpers/ (and fixtures in conftest.py), never in a test module."""
    tests = Path(__file__).resolve().parents[1]
    modules = sorted(tests.rglob("test_*.py"))
    assert len(modules) > 80  # the walk sees the folders
    # a test module is imported as its folder-qualified name (`diagnosis.test_x`) or its bare name
    names = {p.stem for p in modules} | {".".join(p.relative_to(tests).with_suffix("").parts) for p in modules}
    bad = []
    for path in [*modules, *sorted((tests / "helpers").glob("*.py")), tests / "conftest.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{path.relative_to(tests)} imports {m}" for m in mods if m in names or m.split(".")[0] in names]
    assert bad == []
