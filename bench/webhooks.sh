#!/usr/bin/env bash
# Webhook delivery benchmark: the release binary delivers BENCH_EVENTS events to a fast loopback
# receiver (a tokio HTTP/1.1 server in examples/webhook_bench.rs answering 200).
#
#   bash bench/webhooks.sh
#
# Two runs, each on a fresh database with one webhook subscribed to every event:
#   backlog   all events are in the outbox before the server starts: deliveries/s of the
#             dispatcher draining a backlog (lag there is queueing time, shown for completeness)
#   paced     events are written into the outbox while the server runs, at BENCH_RATE per
#             second in transactions of 20 (by a second process, so the dispatcher finds them
#             on its own ~200 ms poll: nothing wakes it): deliveries/s and the lag from each
#             event's `webhook_events.created_at` to its arrival at the receiver, p50/p99
# Everything listens on 127.0.0.1; the driver kills the server and removes its temp dir.
#
# Environment knobs:
#   BENCH_EVENTS=10000   events per run
#   BENCH_RATE=2000      events per second written during the paced run
#   BENCH_SKIP_BUILD=1   use the existing target/release binaries (no cargo build)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=${BENCH_EVENTS:-10000}
RATE=${BENCH_RATE:-2000}

cd "$ROOT"
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release --bin fluenzr --example webhook_bench >&2
fi
BIN="$ROOT/target/release/fluenzr"
DRIVER="$ROOT/target/release/examples/webhook_bench"

echo "webhook delivery, $EVENTS events, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$DRIVER" "$BIN" "$EVENTS" 0
"$DRIVER" "$BIN" "$EVENTS" "$RATE"
