"""The wheel installs as `pipx install` would: a fresh venv, the package and its dependencies,
then `xentui --version` and `xentui status` against the simulator from the installed copy.

Kept fast for the normal suite: the dependencies' wheels are kept in pytest's cache dir
(`.pytest_cache/d/wheelhouse`, downloaded once through pip's own cache) and installed with
`--no-index --find-links`; the fresh venv gets no pip of its own (the test venv's pip
installs into it with `--python`) and no bytecode compilation.
"""

from __future__ import annotations

from helpers.paths import ROOT
import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]

pytestmark = pytest.mark.install


def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=240, **kw)
    assert r.returncode == 0, f"{argv}: {r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


@pytest.fixture
def installed(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh venv with the freshly built wheel installed; returns its bin dir."""
    dist = tmp_path / "dist"
    run([*PIP, "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)])
    (wheel,) = dist.glob("xentui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "xentui/ui/xentui.tcss" in names and "xentui/py.typed" in names  # package data shipped
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    wheelhouse = request.config.cache.mkdir("wheelhouse")
    for old in wheelhouse.glob("xentui-*.whl"):  # `pip download` copies the product's wheel there too: a
        old.unlink()  # stale copy would answer for the new one, with yesterday's dependencies
    install = [*PIP, "--python", str(python), "install", "-q", "--no-compile", "--no-index",
               "--find-links", str(wheelhouse), str(wheel)]
    first = subprocess.run(install, capture_output=True, text=True, timeout=240)
    if first.returncode != 0:  # a dependency not in the wheelhouse yet: fetch them all once (pip's cache)
        run([*PIP, "download", "-q", "-d", str(wheelhouse), str(wheel)])
        (wheelhouse / wheel.name).unlink(missing_ok=True)
        run(install)
    return venv / "bin"


async def test_wheel_installs_and_runs_against_the_simulator(installed: Path, sim_factory: Any,
                                                             tmp_path: Path) -> None:
    version = run([str(installed / "xentui"), "--version"], cwd=tmp_path)
    from xentui import __version__

    assert version.stdout.strip() == f"xentui {__version__}"
    where = run([str(installed / "python"), "-c",
                 "import xentui, importlib.resources as r; print(xentui.__file__); "
                 "print(r.files('xentui.ui').joinpath('xentui.tcss').is_file())"], cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(installed.parent)) and where[1] == "True"  # the installed copy, styles included

    sim = await sim_factory(hosts=3)
    proc = await asyncio.create_subprocess_exec(
        str(installed / "xentui"), "status", "--config", str(sim.dir / "pools.toml"),
        "--connect-timeout", "3", "--command-timeout", "3", "--reach-timeout", "1",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "HEALTHY" in text
    for name in sim.pool.hosts:
        assert any(line.split()[:2] == [name, "up"] for line in text.splitlines() if line.strip()), text


async def test_single_file_zipapp_runs_with_a_bare_python(sim_factory: Any, tmp_path: Path) -> None:
    """tools/build-zipapp.sh makes one file; it runs with nothing but python3 (clean env, no venv)."""
    pyz = tmp_path / "xentui.pyz"
    run([str(ROOT / "tools" / "build-zipapp.sh"), str(pyz)])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "SHIV_ROOT": str(tmp_path / "shiv"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data")}
    # the interpreter the test venv was made from: none of the venv's packages are on its path
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    bare = subprocess.run([str(python), "-c", "import textual"], capture_output=True, env=env)
    assert bare.returncode != 0, "the base python has textual: the test would not show the zipapp carries it"
    from xentui import __version__

    assert run([str(python), str(pyz), "--version"], env=env, cwd=tmp_path).stdout.strip() == f"xentui {__version__}"
    sim = await sim_factory(hosts=2)
    proc = await asyncio.create_subprocess_exec(
        str(python), str(pyz), "status", "--json", "--config", str(sim.dir / "pools.toml"),
        "--connect-timeout", "3", "--command-timeout", "3", "--reach-timeout", "1",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    import json

    doc = json.loads(out)
    assert doc["verdict"] == "healthy" and [h["ssh"] for h in doc["hosts"]] == ["up", "up"]
