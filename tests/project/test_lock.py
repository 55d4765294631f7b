"""The dependency locks: every pin satisfies pyproject.toml, both locks agree, every file is hashed.

`tools/lock.sh` writes requirements/lock-run.txt (the demo's) and requirements/lock-test.txt (the
suite's); the README's two commands and .ci/run install from them.  A range changed in
pyproject.toml without refreshing the lock fails here, not on a fresh clone.
"""

from __future__ import annotations

from helpers.paths import ROOT
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCKS = {"run": ROOT / "requirements" / "lock-run.txt", "test": ROOT / "requirements" / "lock-test.txt"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$")


def pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of one lock file (uv's --generate-hashes format)."""
    out: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for line in path.read_text().splitlines():
        m = PIN.match(line)
        if m:
            current = canonicalize_name(m["name"])
            out[current] = (m["version"], [])
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            out[current][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"{path.name}: a line that is no pin: {line!r}")
    assert out, f"{path.name} pins nothing"
    return out


def requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    if extra:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    build = (ROOT / "requirements" / "build.in").read_text().splitlines()
    reqs += [Requirement(r) for r in build if r.strip() and not r.startswith("#")]
    assert reqs
    return reqs


@pytest.mark.parametrize("lock, extra", [("run", None), ("test", "test")])
def test_every_requirement_is_pinned_within_its_range(lock: str, extra: str | None) -> None:
    locked = pins(LOCKS[lock])
    for req in requirements(extra):
        name = canonicalize_name(req.name)
        assert name in locked, f"{LOCKS[lock].name} lacks {req}: run tools/lock.sh"
        version = locked[name][0]
        assert req.specifier.contains(version, prereleases=True), \
            f"{LOCKS[lock].name} pins {name}=={version}, outside pyproject's {req}: run tools/lock.sh"


def test_the_two_locks_agree_and_every_pin_is_hashed() -> None:
    run, test = pins(LOCKS["run"]), pins(LOCKS["test"])
    assert set(run) < set(test), set(run) - set(test)
    for name, (version, hashes) in run.items():
        assert test[name][0] == version, (name, version, test[name][0])
    for name, (_, hashes) in test.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_readme_and_ci_install_from_the_lock() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick, re.S)
    assert len(commands) == 2, commands
    demo, tests = commands
    assert "-r requirements/lock-run.txt" in demo and demo.endswith("xentui demo"), demo
    assert "-r requirements/lock-test.txt" in tests and "pytest" in tests, tests
    assert tests in (ROOT / ".ci" / "run").read_text(), ".ci/run must run the README's test command verbatim"
