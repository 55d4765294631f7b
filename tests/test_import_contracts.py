"""The boundaries of the code, checked on every run (an import-linter equivalent, no extra dependency).

The import graph is read from the source with `ast` (every import, at any
depth: a function-level import is a dependency too), then:

* layers import only downward (`LAYERS`): xe → model/audit/loopwatch →
  config/facts_rules → diagnosis → engine → actions → ui → devtools → cli;
* the core never imports the console, the dev tools or the simulator, and
  the simulator imports nothing of xentui (it follows xapi, not the engine);
* `textual` only in `ui/` (the dev tools drive the console through it; the
  key-sending test drivers live in tests/helpers/keys.py);
* the console does not import the simulator, the dev tools, or the engine's
  session internals (only the `CommandResult` record), and its panes never
  reach into `engine.sessions` nor into the app's private attributes;
* `import xentui.ui.app` and `xentui status` load no `xentui.sim` and no
  `xentui.devtools` module (measured in a fresh interpreter with -X importtime).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PKG = SRC / "xentui"

#: rank of each top-level part of xentui: an import across parts must go to a lower rank
LAYERS: dict[str, int] = {
    "xentui": 0,  # the package root: __version__
    "xentui.xe": 0,
    "xentui.model": 1,
    "xentui.audit": 1,
    "xentui.loopwatch": 1,
    "xentui.pipes": 1,  # stdout's reader gone, third-party warnings: the command faces' process hygiene
    "xentui.config": 2,
    "xentui.facts_rules": 2,
    "xentui.diagnosis": 3,
    "xentui.engine": 4,
    "xentui.journal": 4,  # change events and the JSONL journal: facts and diagnosis in, lines out
    "xentui.watch": 5,  # `xentui watch`: the engine and the journal
    "xentui.report": 5,  # `xentui report`: the journal and the audit
    "xentui.discover": 5,  # a pool from one member: config + sessions + xe
    "xentui.exporter": 5,  # the engine's facts as Prometheus metrics
    "xentui.actions": 5,
    "xentui.ui": 6,
    "xentui.devtools": 7,
    "xentui.completion": 7,
    "xentui.apply": 7,  # `xentui apply PLANFILE`: a saved plan through the runner
    "xentui.onboard_check": 7,  # `xentui onboard --check`: the onboarding checks without a screen  # argparse only; cli hands it its parser
    "xentui.cli": 8,
    "xentui.screenshots": 8,
    "xentui.__main__": 9,
}
CORE = [
    "xentui.xe", "xentui.model", "xentui.audit", "xentui.loopwatch", "xentui.config",
    "xentui.facts_rules", "xentui.diagnosis", "xentui.engine", "xentui.actions",
]
#: who may start the simulator: the dev tools and `xentui sim` (cli, lazily)
SIM_USERS = {"xentui.devtools", "xentui.cli"}

#: what a pane still does that it should not (the test fails if an entry is stale): none left
KNOWN_ONBOARD: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (or module.name for `from m import name`)
    names: tuple[str, ...]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports() -> list[Import]:
    out: list[Import] = []
    for path in sorted(PKG.rglob("*.py")):
        mod = _module_name(path)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                out.extend(Import(mod, a.name, ()) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                out.append(Import(mod, target, tuple(a.name for a in node.names)))
    return out


IMPORTS = _imports()


def _part(module: str) -> str:
    """The top-level part of xentui a module belongs to (`xentui.ui.panes.storage` -> `xentui.ui`)."""
    parts = module.split(".")
    if parts[0] != "xentui":
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else "xentui"


def _in(module: str, part: str) -> bool:
    return module == part or module.startswith(part + ".")


def test_the_graph_is_read() -> None:
    """The walker sees what is known to be there (so the contracts below cannot pass on an empty graph)."""
    assert len({i.module for i in IMPORTS}) > 60
    assert any(i.module == "xentui.ui.app" and i.target == "xentui.diagnosis" for i in IMPORTS)
    assert any(i.module == "xentui.devtools.demo" and i.target == "xentui.sim.server" for i in IMPORTS)
    assert set(LAYERS) >= {_part(i.module) for i in IMPORTS if not _in(i.module, "xentui.sim")}


def test_layers_import_only_downward() -> None:
    bad = []
    for i in IMPORTS:
        src, dst = _part(i.module), _part(i.target)
        if not dst.startswith("xentui") or src == dst or _in(i.module, "xentui.sim") or _in(i.target, "xentui.sim"):
            continue
        if LAYERS[dst] >= LAYERS[src]:
            bad.append(f"{i.module} imports {i.target} (layer {src}={LAYERS[src]} -> {dst}={LAYERS[dst]})")
    assert bad == []


def test_core_imports_no_console_no_devtools_no_simulator() -> None:
    bad = [
        f"{i.module} imports {i.target}"
        for i in IMPORTS
        if any(_in(i.module, c) for c in CORE)
        and any(_in(i.target, p) for p in ("xentui.ui", "xentui.devtools", "xentui.sim", "xentui.cli"))
    ]
    assert bad == []


def test_only_devtools_and_cli_start_the_simulator_which_imports_no_xentui() -> None:
    users = {_part(i.module) for i in IMPORTS if _in(i.target, "xentui.sim") and not _in(i.module, "xentui.sim")}
    assert users <= SIM_USERS, users
    own = [f"{i.module} imports {i.target}" for i in IMPORTS
           if _in(i.module, "xentui.sim") and _in(i.target, "xentui") and not _in(i.target, "xentui.sim")]
    assert own == []


def test_textual_only_in_the_console() -> None:
    bad = [
        f"{i.module} imports {i.target}"
        for i in IMPORTS
        if _in(i.target, "textual") and not _in(i.module, "xentui.ui")
    ]
    assert bad == []


def _console_violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for i in IMPORTS:
        if not _in(i.module, "xentui.ui"):
            continue
        if _in(i.target, "xentui.sim") or _in(i.target, "xentui.devtools"):
            found.add((i.module, f"imports {i.target}"))
        if i.target == "xentui.engine.sessions":
            for name in i.names:
                if name != "CommandResult":
                    found.add((i.module, f"imports xentui.engine.sessions.{name}"))
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
    found = _console_violations()
    assert found - KNOWN_ONBOARD == set()
    assert KNOWN_ONBOARD - found == set(), "fixed: remove these from KNOWN_ONBOARD"


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
            if name.startswith("xentui"):
                mods.add(name)
    assert mods, r.stderr[-2000:]
    return mods


def test_importing_the_console_loads_no_simulator(tmp_path: Path) -> None:
    mods = _loaded("import xentui.ui.app", tmp_path)
    assert "xentui.ui.app" in mods and "xentui.engine.pool" in mods
    assert {m for m in mods if _in(m, "xentui.sim") or _in(m, "xentui.devtools")} == set()


def test_xentui_status_loads_no_simulator(tmp_path: Path) -> None:
    config = tmp_path / "pools.toml"
    config.write_text(
        '[settings]\nconnect_timeout = 0.5\ncommand_timeout = 1.0\nreach_timeout = 0.5\n\n'
        '[[pool]]\nname = "nowhere"\nhosts = ["127.0.0.1"]\nport = 1\nuser = "root"\n'
    )
    code = "import sys; from xentui.cli import main; main(sys.argv[1:])"
    mods = _loaded(code, tmp_path, "--config", str(config), "status")
    assert "xentui.engine.pool" in mods and "xentui.diagnosis" in mods  # it did probe
    assert {m for m in mods if _in(m, "xentui.sim") or _in(m, "xentui.devtools")} == set()


@pytest.mark.parametrize("code", ["import xentui.devtools.demo"])
def test_the_demo_does_load_the_simulator(code: str, tmp_path: Path) -> None:
    """The measure can see a simulator import when there is one."""
    assert any(_in(m, "xentui.sim") for m in _loaded(code, tmp_path))


def _module_level_graph(package: str) -> dict[str, set[str]]:
    """Imports done when a module of `package` is loaded (not those inside functions or TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((PKG / package.split(".", 1)[1].replace(".", "/")).rglob("*.py")):
        mod = _module_name(path)
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        deps = graph.setdefault(mod, set())
        for node in ast.parse(path.read_text()).body:  # the top level only
            if isinstance(node, ast.ImportFrom) and node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
            else:
                continue
            if _in(target, package) and target != mod:
                deps.add(target)
    return graph


def test_no_import_cycle_between_the_actions_and_guards_imports_no_feature() -> None:
    graph = _module_level_graph("xentui.actions")
    # at any depth (a function-level import made the cycle guards -> splitbrain -> recover -> guards)
    guards_uses = {i.target for i in IMPORTS if i.module == "xentui.actions.guards" and _in(i.target, "xentui.actions")}
    assert guards_uses <= {"xentui.actions.plan"}, guards_uses
    modules = [m for m in graph if m != "xentui.actions"]  # the package re-exports its modules

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()) - {"xentui.actions"}:
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    cycles = [m for m in modules if reaches(m, m, set())]
    assert cycles == []


def test_every_kind_of_step_is_registered_by_its_feature() -> None:
    """No central switch: each StepAction has its rule, and check_step names no kind of step."""
    from xentui.actions import StepAction
    from xentui.actions.guards import STEP_RULES
    from xentui.actions.onboard.steps import PERFORMED_KINDS  # onboarding performs its own kinds

    assert not set(STEP_RULES) & PERFORMED_KINDS
    assert set(STEP_RULES) | PERFORMED_KINDS == set(StepAction)
    source = ast.parse((PKG / "actions" / "guards.py").read_text())
    check = next(n for n in source.body if isinstance(n, ast.FunctionDef) and n.name == "check_step")
    assert "StepAction." not in ast.unparse(check)


#: one package per feature under actions/, its pane beside the others in ui/panes/ (textual stays in ui)
FEATURES = ("recover", "splitbrain", "designate", "storage", "onboard")
#: what actions/ holds beside the feature packages: what every feature shares
SHARED_ACTIONS = {"__init__", "plan", "guards", "executor", "propose", "fingerprint"}  # fingerprint: plan --json / apply


def test_one_package_per_feature() -> None:
    """Each feature is a package that names its pane; its step guards are registered from its own package;
    one feature uses another only through that package's public face."""
    actions = PKG / "actions"
    assert {p.stem for p in actions.glob("*.py")} == SHARED_ACTIONS
    for feature in FEATURES:
        doc = ast.get_docstring(ast.parse((actions / feature / "__init__.py").read_text())) or ""
        assert f"xentui.ui.panes.{feature}" in doc, feature
        assert (PKG / "ui" / "panes" / f"{feature}.py").exists(), feature
    registrars = set()
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "register_step":
                registrars.add(_module_name(path))
    assert registrars <= {"xentui.actions.guards"} | {f"xentui.actions.{f}.guards" for f in FEATURES}, registrars
    assert len(registrars) > 4
    reach_in = [
        f"{i.module} imports {i.target}"
        for i in IMPORTS
        for f in FEATURES
        if _in(i.target, f"xentui.actions.{f}")
        and i.target != f"xentui.actions.{f}"
        and not _in(i.module, f"xentui.actions.{f}")
    ]
    assert reach_in == []


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in tests/helpers/ (and fixtures in conftest.py), never in a test module."""
    tests = Path(__file__).resolve().parent
    names = {p.stem for p in tests.glob("test_*.py")} | {"conftest"}
    bad = []
    for path in sorted(tests.glob("*.py")) + sorted((tests / "helpers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{path.name} imports {m}" for m in mods if m.split(".")[0] in names]
    assert bad == []
