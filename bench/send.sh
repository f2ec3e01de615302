#!/usr/bin/env bash
# Sending benchmark: one campaign of BENCH_MESSAGES contacts sent by the release binary to
# Debian's smtp-sink (postfix), while wrk measures the API's latency.
#
#   bash bench/send.sh
#
# Measures:
#   messages/s            end to end: from POST /campaigns/:id/start until the stats show
#                         sent == BENCH_MESSAGES (polled every 50 ms)
#   API p99 during send   GET /v1/contacts?perPage=20 with wrk (2 threads, 16 connections), running
#                         from just before the start of the send until its end (then stopped
#                         with SIGINT, which makes wrk print its figures); an idle run of the
#                         same request comes first for comparison
#   peak RSS              VmHWM of the server process at the end
# Everything listens on 127.0.0.1 only; the script stops by itself (BENCH_TIMEOUT) and a trap
# stops every process it started and removes its temp dir.
#
# Environment knobs:
#   BENCH_MESSAGES=10000      contacts in the campaign (one email each)
#   BENCH_SKIP_BUILD=1        use the existing target/release/fluenzr (no cargo build)
#   BENCH_FLUENZR_BIN=path    benchmark this fluenzr binary instead (implies no build)
#   BENCH_TIMEOUT=600         seconds the send may take before the run fails
#   BENCH_IDLE_SECONDS=3      length of the idle latency run (0: skip it)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=16   wrk shape
#
# Output: the figures on stdout, also appended to bench/last-send.txt (gitignored).
# Needs: python3 (the helpers use the standard library only); installs if missing: Debian postfix
# (for /usr/sbin/smtp-sink; the postfix daemon itself is not started) and Debian wrk.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
HELPER="$BENCH_DIR/helper.py"
SEND="$BENCH_DIR/send_helper.py"
WRK_LUA="$BENCH_DIR/wrk.lua"

MESSAGES=${BENCH_MESSAGES:-10000}
SKIP_BUILD=${BENCH_SKIP_BUILD:-0}
TIMEOUT=${BENCH_TIMEOUT:-600}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-3}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}

log() { printf '[send-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $MESSAGES =~ ^[0-9]+$ && $MESSAGES -ge 1 ]] || die "BENCH_MESSAGES must be a positive integer"
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -ge 1 ]] || die "BENCH_TIMEOUT must be a positive integer"
[[ $IDLE_SECONDS =~ ^[0-9]+$ ]] || die "BENCH_IDLE_SECONDS must be a whole number"

# ------------------------------------------------------------------ cleanup
TMP=$(mktemp -d /tmp/fluenzr-send-bench.XXXXXX)
FLZ_PID=""
SINK_PID=""
WRK_PID=""

stop_pid() { # stop_pid PID: TERM, wait up to 10 s, then KILL
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$WRK_PID"
  stop_pid "$FLZ_PID"
  stop_pid "$SINK_PID"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ installs
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v python3 >/dev/null || die "python3 is required"
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if ! [ -x /usr/sbin/smtp-sink ]; then
  log "installing postfix (Debian package) for /usr/sbin/smtp-sink"
  apt_install postfix
fi
[ -x /usr/sbin/smtp-sink ] || die "/usr/sbin/smtp-sink is still missing"
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  apt_install wrk
fi

FLZ_BIN="${BENCH_FLUENZR_BIN:-$ROOT/target/release/fluenzr}"
if [ "$SKIP_BUILD" != 1 ] && [ -z "${BENCH_FLUENZR_BIN:-}" ]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet)
fi
[ -x "$FLZ_BIN" ] || die "$FLZ_BIN not found (build it, or drop BENCH_SKIP_BUILD)"

# ------------------------------------------------------------------ smtp-sink
SMTP_PORT=$(python3 "$HELPER" free-port)
SINK_OUT="$TMP/smtp-sink.out"
SINK_USER=()
# smtp-sink refuses to run as root without dropping privileges after binding.
[ "$(id -u)" != 0 ] || SINK_USER=(-u root)
log "starting smtp-sink on 127.0.0.1:$SMTP_PORT (-c: running message counter)"
/usr/sbin/smtp-sink -c "${SINK_USER[@]}" "127.0.0.1:$SMTP_PORT" 1024 >"$SINK_OUT" 2>&1 &
SINK_PID=$!
python3 "$SEND" wait-tcp "$SMTP_PORT" --timeout 10 \
  || { cat "$SINK_OUT" >&2; die "smtp-sink did not start"; }

# ------------------------------------------------------------------ fluenzr
DB="$TMP/fluenzr.db"
out=$("$FLZ_BIN" workspaces create --db "$DB" --name send-bench --plan pro 2>&1) \
  || die "fluenzr workspaces create failed: $out"
KEY=$(printf '%s\n' "$out" | grep -E '^flz_sk_[A-Za-z0-9]{32}$' | head -1 || true)
[ -n "$KEY" ] || die "no API key line in 'workspaces create' output: $out"

PORT=$(python3 "$HELPER" free-port)
BASE="http://127.0.0.1:$PORT"
log "starting fluenzr on $BASE"
FLUENZR_RATE_LIMIT_PER_MINUTE=100000000 FLUENZR_SECRET_KEY=send-bench-secret \
  "$FLZ_BIN" serve --db "$DB" --bind "127.0.0.1:$PORT" >"$TMP/fluenzr.log" 2>&1 &
FLZ_PID=$!
python3 "$HELPER" wait-http "$BASE/healthz" --timeout 60 \
  || { tail -20 "$TMP/fluenzr.log" >&2; die "fluenzr did not become healthy"; }

log "creating the email account, $MESSAGES contacts and the campaign"
SETUP=$(python3 "$SEND" setup "$BASE" "$KEY" "$SMTP_PORT" "$MESSAGES") \
  || { tail -20 "$TMP/fluenzr.log" >&2; die "setup failed"; }
log "  -> $SETUP"
CAMPAIGN=$(printf '%s' "$SETUP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["campaignId"])')

AUTH="Authorization: Bearer $KEY"
U_LIST="$BASE/v1/contacts?perPage=20"
msg=$(python3 "$HELPER" check "$U_LIST" "Bearer $KEY" 2>&1) || msg="check failed: $msg"
[ -z "$msg" ] || die "GET /v1/contacts does not answer 2xx: $msg"

wrk_result() { # wrk_result FILE: the JSON of its WRKRESULT line (empty when missing)
  sed -n 's/^WRKRESULT //p' "$1" | tail -1
}

IDLE=""
if [ "$IDLE_SECONDS" -gt 0 ]; then
  log "idle latency: wrk -t$THREADS -c$CONNS -d${IDLE_SECONDS}s $U_LIST"
  timeout -k 5 $((IDLE_SECONDS + 60)) wrk -t"$THREADS" -c"$CONNS" -d"${IDLE_SECONDS}s" \
    --timeout 10s --latency -s "$WRK_LUA" -H "$AUTH" "$U_LIST" >"$TMP/wrk-idle.log" 2>&1 \
    || log "idle wrk failed: $(tail -3 "$TMP/wrk-idle.log" | tr '\n' ' ')"
  IDLE=$(wrk_result "$TMP/wrk-idle.log")
fi

# ------------------------------------------------------------------ the send
log "starting the campaign; wrk runs from just before its start until the send ends"
# A long -d: SIGINT at the end of the send makes wrk stop and print what it measured.
wrk -t"$THREADS" -c"$CONNS" -d"$((TIMEOUT + 60))s" --timeout 10s --latency \
  -s "$WRK_LUA" -H "$AUTH" "$U_LIST" >"$TMP/wrk-send.log" 2>&1 &
WRK_PID=$!
T0=$(python3 "$SEND" start "$BASE" "$KEY" "$CAMPAIGN") \
  || { tail -20 "$TMP/fluenzr.log" >&2; die "the campaign did not start"; }
SEND_RC=0
RESULT=$(python3 "$SEND" wait "$BASE" "$KEY" "$CAMPAIGN" "$MESSAGES" "$T0" --timeout "$TIMEOUT") \
  || SEND_RC=$?
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
WRK_PID=""
DURING=$(wrk_result "$TMP/wrk-send.log")
[ -n "$RESULT" ] || { tail -20 "$TMP/fluenzr.log" >&2; die "no result from the stats poller"; }
log "  -> $RESULT"

kill -0 "$FLZ_PID" 2>/dev/null || { tail -20 "$TMP/fluenzr.log" >&2; die "fluenzr exited during the send"; }
HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$FLZ_PID/status" 2>/dev/null || echo 0)
# smtp-sink updates its counter when a "." arrives; give the last one a moment to be written.
sleep 0.3
SINK_COUNT=$(python3 "$SEND" smtp-sink-count "$SINK_OUT")

# ------------------------------------------------------------------ report
REPORT=$(python3 - "$RESULT" "$DURING" "$IDLE" "$HWM_KB" "$SINK_COUNT" "$MESSAGES" \
  "$THREADS" "$CONNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import datetime, json, sys
result, during, idle, hwm, sink, n, threads, conns, cores, load = sys.argv[1:]
r = json.loads(result)
d = json.loads(during) if during else None
i = json.loads(idle) if idle else None
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
lines = [f"send benchmark, {when}: {n} contacts, one email each, to smtp-sink on loopback; "
         f"{cores} cores, load average after the run {load}"]
lines.append(f"messages/s: {r['messagesPerSec']:,.1f} ({r['sent']} sent in {r['seconds']:.2f} s; "
             f"uncertain {r['uncertain']}, failed {r['failed']}, bounced {r['bounced']}, "
             f"pending {r['pending']}; smtp-sink counted {sink})")
if d:
    lines.append(f"API p99 during send: {d['p99_ms']:.2f} ms (p50 {d['p50_ms']:.2f} ms; "
                 f"GET /v1/contacts?perPage=20, wrk {threads} threads {conns} connections, "
                 f"{d['requests']} requests in {d['duration_s']:.2f} s, {d['rps']:,.0f} req/s, "
                 f"{d['http_errors']} HTTP errors, {d['socket_errors']} socket errors)")
else:
    lines.append("API p99 during send: - (wrk printed no result)")
if i:
    lines.append(f"API p99 idle: {i['p99_ms']:.2f} ms (p50 {i['p50_ms']:.2f} ms, {i['rps']:,.0f} req/s)")
lines.append(f"peak RSS: {int(hwm) / 1024:.1f} MB (VmHWM of the server)")
if r.get("timedOut"):
    lines.append("  ! the send did not finish before BENCH_TIMEOUT")
if int(sink) != r["sent"]:
    lines.append(f"  ! smtp-sink counted {sink} messages, the stats say {r['sent']} sent")
print("\n".join(lines))
EOF
)
echo
printf '%s\n' "$REPORT"
printf '%s\n\n' "$REPORT" >>"$BENCH_DIR/last-send.txt"
log "appended to bench/last-send.txt"
[ "$SEND_RC" = 0 ] || die "the send did not finish (see above)"
