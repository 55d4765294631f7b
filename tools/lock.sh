#!/usr/bin/env bash
# Refresh the dependency locks from pyproject.toml: every package, runtime and test, pinned
# with the hashes of every file PyPI has for it, for any platform (uv's universal resolve)
# and Python 3.11 up. The README's two commands and .ci/run install from these files, so
# a release of any dependency reaches us only when this script is run and the suite passes.
#
#   tools/lock.sh             # resolve anew: the newest releases pyproject.toml allows
#   tools/lock.sh --upgrade-package NAME   # (any uv pip compile option is passed on)
#
# uv is pinned here and installed into a throw-away venv, so the tool itself is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool/venv"
"$tool/venv/bin/pip" install -q "uv==$UV_VERSION"
compile() {
    "$tool/venv/bin/uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes \
        --custom-compile-command "tools/lock.sh" "$@"
}
compile pyproject.toml requirements/build.in -o requirements/lock-run.txt "$@"
compile pyproject.toml requirements/build.in --extra test -o requirements/lock-test.txt "$@"
echo "requirements/lock-run.txt and requirements/lock-test.txt refreshed; run the suite, then commit both."
