#!/usr/bin/env bash
# The suite against the newest releases pyproject.toml allows, ignoring the lock: drift found on
# purpose, before a fresh clone finds it. Builds a throw-away venv (.venv-newest), says which
# packages are newer than requirements/lock-test.txt, then runs the README's test command in it.
#
#   tools/test-newest.sh            # exit status: pytest's
#   tools/test-newest.sh -k story   # extra arguments go to pytest
#
# When it passes, tools/lock.sh takes those releases into the lock; when it fails, fix the code
# or cap the range in pyproject.toml with a comment that says why.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .venv-newest
python3 -m venv .venv-newest
.venv-newest/bin/pip install -q --upgrade pip
.venv-newest/bin/pip install -q --upgrade --upgrade-strategy eager -r requirements/build.in -e '.[test]'
echo "newer than the lock:"
.venv-newest/bin/python - <<'PY'
import re
from importlib.metadata import distributions
locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", open("requirements/lock-test.txt").read(), re.M))
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = {norm(k): v for k, v in locked.items()}
newer = [(norm(d.metadata["Name"]), locked.get(norm(d.metadata["Name"])), d.version) for d in distributions()]
newer = sorted((n, lo, v) for n, lo, v in newer if lo is not None and lo != v)
print("\n".join(f"  {n}: {lo} (lock) -> {v}" for n, lo, v in newer) or "  nothing")
PY
exec .venv-newest/bin/python -m pytest -q -n 4 --dist worksteal "$@"
