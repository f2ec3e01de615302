#!/usr/bin/env bash
# Property-based test of the whole /v1 API against its own OpenAPI document.
#
# Starts the release binary on a fresh database and a free loopback port, reads the API key it
# prints on first start, and runs every schemathesis check with at least 100 generated examples
# per operation, from a fixed seed. Exits with schemathesis's status.
#
# Environment:
#   FLUENZR_TEST_VENV  virtualenv holding the pinned schemathesis (default .venv-test)
#   FLUENZR_BIN        server binary to test (default: `cargo build --release`, then
#                      target/release/fluenzr)
#   ST_SEED            generation seed (default 20250115)
#   ST_WORKERS         schemathesis workers (default 1: with 2, CPython 3.11.7's `ast` module,
#                      which Hypothesis calls from both threads, can fail with "AST constructor
#                      recursion depth mismatch"; one worker also keeps the run reproducible)
#   ST_REPORT_DIR      where to write a JUnit report (default: none)
#
# A run takes about a minute on 2 cores (plus the release build); it is cut off after 15 minutes.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VENV=${FLUENZR_TEST_VENV:-.venv-test}
SEED=${ST_SEED:-20250115}
WORKERS=${ST_WORKERS:-1}

installed_version() {
    "$VENV/bin/python" -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p'
}
if [[ ! -x "$VENV/bin/st" || "$(installed_version)" != "$SCHEMATHESIS_VERSION" ]]; then
    echo "Installing schemathesis==$SCHEMATHESIS_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [[ -n "${FLUENZR_BIN:-}" ]]; then
    BIN=$FLUENZR_BIN
else
    cargo build --release --quiet
    BIN=target/release/fluenzr
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

FLUENZR_RATE_LIMIT_PER_MINUTE=100000000 FLUENZR_AUTH_FAILURES_PER_MINUTE=100000000 \
    "$BIN" serve --db "$WORK/fluenzr.db" --bind "127.0.0.1:$PORT" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!

KEY=
for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "The server exited early:" >&2
        cat "$WORK/server.out" "$WORK/server.err" >&2
        exit 1
    fi
    KEY=$(grep -E -m1 '^flz_sk_[A-Za-z0-9]{32}$' "$WORK/server.out" || true)
    if [[ -n "$KEY" ]] && curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [[ -z "$KEY" ]] || ! curl -fsS -o /dev/null "$BASE/readyz"; then
    echo "The server did not print a key or become ready in 30 s" >&2
    cat "$WORK/server.out" "$WORK/server.err" >&2
    exit 1
fi

REPORT=()
if [[ -n "${ST_REPORT_DIR:-}" ]]; then
    REPORT=(--report junit --report-dir "$ST_REPORT_DIR")
fi

STATUS=0
timeout 900 "$VENV/bin/st" --config-file tests/schemathesis.toml run "$BASE/v1/openapi.json" \
    --checks all \
    --max-examples 100 \
    --seed "$SEED" \
    --generation-database none \
    --workers "$WORKERS" \
    --request-timeout 30 \
    --header "Authorization: Bearer $KEY" \
    --no-color \
    "${REPORT[@]}" || STATUS=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "The server died during the run; its last log lines:" >&2
    tail -n 40 "$WORK/server.err" >&2
elif grep -qE 'internal error|panicked' "$WORK/server.err"; then
    echo "The server logged internal errors:" >&2
    grep -E 'internal error|panicked' "$WORK/server.err" | head -20 >&2
fi
exit "$STATUS"
