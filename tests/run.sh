#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need when it is missing
# (Debian's chromium for the browser check, Debian's dovecot-imapd as the inbox tests' IMAP
# server; schemathesis in a virtual environment), then runs
# formatting and lint checks, every unit and integration test, and schemathesis against the
# running release binary.
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

# One closing line for the whole run: cargo's test results plus schemathesis's test cases.
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  /[0-9]+ generated, [0-9]+ passed/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) p += $i }
  END { printf "summary: %d passed, %d failed\n", p, f }
' "$LOG"
