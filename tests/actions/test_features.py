"""One feature, one package: deleting a feature is deleting its package, its pane and one line in each registry.

On a copy of the tree, a feature's package (`actions/<feature>/`), its pane
modules (`ui/panes/<feature>*.py`) and its lines in `actions/features.py` and
`ui/panes/__init__.py` are deleted; then every remaining module imports, the
command line answers, the runner's kinds lack exactly the feature's, the
console starts headless on a sample pool without the pane, and the proposed
plan for a lost master is still made.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.paths import SRC

#: feature -> (its pane modules, the kinds of step it registers)
REMOVABLE = {
    "designate": (["designate.py"], {"designate-new-master"}),
    "storage": (["storage.py", "storage_parts.py", "storage_pool.py"], {"sr-create"}),
}

CHECK = r'''
import asyncio, importlib, pkgutil, sys
import xentui
gone, kinds_gone = sys.argv[1], set(sys.argv[2].split(","))
names = [m.name for m in pkgutil.walk_packages(xentui.__path__, "xentui.") if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
assert not any(n.startswith(f"xentui.actions.{gone}") for n in names), names
print("imported", len(names))

from xentui.actions.features import FEATURES, load_features
from xentui.actions.kinds import KINDS
from xentui.actions.plan import StepAction
load_features()
assert gone not in FEATURES
missing = {str(a) for a in set(StepAction) - set(KINDS)}
assert missing == kinds_gone, missing
print("kinds without a feature:", sorted(missing))

from xentui.actions import propose_plan
from xentui.devtools.samples import sample_app, sample_facts
from xentui.diagnosis import diagnose_pool
facts = sample_facts("master-lost")
plan = propose_plan(facts, diagnose_pool(facts, pool="sample"))
print("plan:", plan.kind, len(plan.steps), "steps")

from xentui.ui.panes import PANES
from xentui.ui.screens.pool import PoolScreen
assert not any(p.id.startswith(gone) for p in PANES), [p.id for p in PANES]

async def start() -> None:
    app = sample_app("master-lost")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.current_slot is not None and app.current_slot.diagnosis is not None:
                break
        assert isinstance(app.screen, PoolScreen), app.screen
        print("console:", app.current_slot.diagnosis.verdict, "panes:", ",".join(p.id for p in PANES))

asyncio.run(start())
'''


def _without(feature: str, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(SRC, src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    panes, _ = REMOVABLE[feature]
    shutil.rmtree(src / "xentui" / "actions" / feature)
    for pane in panes:
        (src / "xentui" / "ui" / "panes" / pane).unlink()
    for registry in (src / "xentui" / "actions" / "features.py", src / "xentui" / "ui" / "panes" / "__init__.py"):
        lines = registry.read_text().splitlines(keepends=True)
        kept = [ln for ln in lines if not re.match(rf'\s*"{feature}",', ln)]
        assert len(kept) == len(lines) - 1, f"{registry.name}: one line names {feature}"
        registry.write_text("".join(kept))
    return src


@pytest.mark.parametrize("feature", sorted(REMOVABLE))
def test_removing_a_feature_leaves_the_rest_working(feature: str, tmp_path: Path) -> None:
    src = _without(feature, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(src)}
    script = tmp_path / "check.py"
    script.write_text(CHECK)
    r = subprocess.run([sys.executable, "-W", "ignore", str(script), feature, ",".join(sorted(REMOVABLE[feature][1]))],
                       capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "imported" in r.stdout and "console: master-lost" in r.stdout, r.stdout
    help_ = subprocess.run([sys.executable, "-W", "ignore", "-m", "xentui", "--help"], capture_output=True, text=True,
                           timeout=60, env=env, cwd=tmp_path)
    assert help_.returncode == 0 and "status" in help_.stdout, help_.stderr


def test_the_copy_is_the_code_under_test(tmp_path: Path) -> None:
    """The check runs the copied tree, not the installed one: with the feature's package gone, importing it fails."""
    src = _without("designate", tmp_path)
    r = subprocess.run([sys.executable, "-W", "ignore", "-c", "import xentui.actions.designate"],
                       capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(src)},
                       cwd=tmp_path)
    assert r.returncode != 0 and "No module named 'xentui.actions.designate'" in r.stderr, r.stderr
