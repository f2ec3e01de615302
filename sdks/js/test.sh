#!/usr/bin/env bash
# Tests of the TypeScript SDK (@fluenzr/sdk) against the real server binary:
# installs the dev tools (npm ci), builds ESM + CJS, type-checks, then runs `node --test`.
# The binary is $FLUENZR_BIN or <repo>/target/release/fluenzr (never built here).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export FLUENZR_BIN="${FLUENZR_BIN:-$REPO/target/release/fluenzr}"
if [[ ! -x "$FLUENZR_BIN" ]]; then
  echo "sdks/js/test.sh: server binary not found or not executable: $FLUENZR_BIN" >&2
  echo "  build it with 'cargo build --release' or point FLUENZR_BIN at it" >&2
  exit 2
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "sdks/js/test.sh: node and npm are required (Node >= 18)" >&2
  exit 2
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if (( NODE_MAJOR < 18 )); then
  echo "sdks/js/test.sh: Node >= 18 is required, found $(node --version)" >&2
  exit 2
fi

# Every server a test starts writes its pid here; whatever is left is killed on exit.
PID_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fluenzr-js-pids.XXXXXX")"
export FLUENZR_TEST_PID_DIR="$PID_DIR"
cleanup() {
  local file pid
  for file in "$PID_DIR"/*.pid; do
    [[ -e "$file" ]] || continue
    pid="$(cat "$file")"
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$PID_DIR"
}
trap cleanup EXIT

cd "$HERE"
echo "== npm ci"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
echo "== npm run build"
npm run --silent build
echo "== type-check (tsc --noEmit) of test/types/examples.ts and test/types/fetch.ts (DOM lib)"
npm run --silent typecheck
echo "== node --test"
# Node 20+ runs test files in parallel (--test-concurrency); older versions run them one by one.
CONCURRENCY=()
if (( NODE_MAJOR >= 21 )) || node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a===20&&b>=10?0:1)'; then
  CONCURRENCY=(--test-concurrency=3)
fi
timeout --kill-after=10 170 node --test --test-reporter=tap "${CONCURRENCY[@]}" test/*.test.mjs
