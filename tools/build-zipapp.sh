#!/usr/bin/env bash
# One file for an air-gapped jump box: xentui and every dependency in a shiv zipapp.
#
#   tools/build-zipapp.sh [OUT]     # default dist/xentui-py3XX-<machine>.pyz
#
# The file runs with the jump box's own python3 (`./xentui.pyz status`, or
# `python3 xentui.pyz`); nothing is installed and no package index is asked.
# Some dependencies are compiled (cryptography, cffi, pydantic-core), so the
# file is per platform: build it on the jump box's OS/architecture with the
# same Python minor version (its name says which). On first run shiv unpacks
# the compiled parts into ~/.shiv (or $SHIV_ROOT) once.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tag=$("$PYTHON" -c 'import platform, sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')
out=${1:-dist/xentui-$tag.pyz}
work=build/zipapp
rm -rf "$work/wheels"
mkdir -p "$work" "$(dirname "$out")"
[ -x "$work/venv/bin/shiv" ] || { "$PYTHON" -m venv "$work/venv" && "$work/venv/bin/pip" install -q shiv; }
# xentui's wheel and its dependencies' wheels for this platform, then the zipapp from them only.
"$work/venv/bin/pip" wheel -q -w "$work/wheels" .
"$work/venv/bin/shiv" --compressed --reproducible -p '/usr/bin/env python3' -c xentui -o "$out" \
    --no-index --find-links "$work/wheels" xentui
echo "$out: $(du -h "$out" | cut -f1), for Python ${tag#py} — try: $out --version"
