#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need when it is missing
# (Debian's chromium for the browser check, Debian's dovecot-imapd as the inbox tests' IMAP
# server; schemathesis in a virtual environment), then runs
# formatting and lint checks, every unit and integration test, and schemathesis against the
# running release binary; then both SDKs (sdks/js with Node's test runner, sdks/python with
# pytest and mypy) against that release binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian) for the /docs browser test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q chromium
fi

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  echo "== installing dovecot-imapd (Debian) for the inbox tests' IMAP server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q dovecot-imapd
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing nodejs and npm (Debian) for the TypeScript SDK's tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q nodejs npm
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
echo "== cargo test"
cargo test --all-targets 2>&1 | tee "$LOG"
echo "== schemathesis"
bash tests/schemathesis.sh 2>&1 | tee -a "$LOG"
# The SDKs run against the release binary that schemathesis.sh built.
echo "== TypeScript SDK (sdks/js)"
FLUENZR_BIN="$PWD/target/release/fluenzr" bash sdks/js/test.sh 2>&1 | tee -a "$LOG"
echo "== Python SDK (sdks/python)"
FLUENZR_BIN="$PWD/target/release/fluenzr" bash sdks/python/test.sh 2>&1 | tee -a "$LOG"

# One closing line for the whole run: cargo's test results, schemathesis's test cases, Node's
# test runner (`# pass N` / `# fail N`) and pytest (`N failed, M passed in …`).
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /[0-9]+ generated, [0-9]+ passed/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) p += $i }
  /^# pass [0-9]+$/ { p += $3 }
  /^# fail [0-9]+$/ { f += $3 }
  !/^test result:/ && !/generated/ && /[0-9]+ (passed|failed).* in [0-9.]+s/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "summary: %d passed, %d failed\n", p, f }
' "$LOG"
