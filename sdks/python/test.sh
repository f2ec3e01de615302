#!/usr/bin/env bash
# Builds the fluenzr wheel, installs it into sdks/python/.venv, type-checks the package and the
# tests with mypy --strict, then runs the pytest suite against the real server binary
# (FLUENZR_BIN, or <repo>/target/release/fluenzr, which must already be built).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$HERE"

export FLUENZR_BIN="${FLUENZR_BIN:-$REPO/target/release/fluenzr}"
if [ ! -x "$FLUENZR_BIN" ]; then
    echo "error: the server binary $FLUENZR_BIN is missing; build it (cargo build --release) or set FLUENZR_BIN" >&2
    exit 1
fi

# Pinned test tooling (httpx is the package's one runtime dependency).
TOOLS="build==1.6.1 hatchling==1.33.0 pytest==8.4.2 mypy==1.19.1 httpx==0.29.0"
PYTHON="${PYTHON:-python3}"
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
STAMP="$VENV/.fluenzr-test-tools"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$TOOLS" ]; then
    echo "== installing $TOOLS"
    "$PY" -m pip install --quiet --disable-pip-version-check $TOOLS
    echo "$TOOLS" > "$STAMP"
fi

echo "== building and installing the wheel"
rm -rf "$HERE/dist"
"$PY" -m build --wheel --no-isolation --outdir "$HERE/dist" "$HERE" > "$HERE/dist.log" 2>&1 || {
    cat "$HERE/dist.log" >&2
    exit 1
}
rm -f "$HERE/dist.log"
"$PY" -m pip uninstall --quiet --disable-pip-version-check -y fluenzr > /dev/null 2>&1 || true
"$PY" -m pip install --quiet --disable-pip-version-check "$HERE"/dist/fluenzr-*.whl

echo "== mypy --strict (src and tests; src also as Python 3.9)"
"$VENV/bin/mypy" --strict src tests
"$VENV/bin/mypy" --strict --python-version 3.9 src

echo "== pytest (server: $FLUENZR_BIN)"
unset FLUENZR_API_KEY FLUENZR_BASE_URL
"$VENV/bin/pytest" -q -p no:cacheprovider tests
