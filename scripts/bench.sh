#!/usr/bin/env bash
# Runs the CareConnect benchmark (bench/, issue 7): end-to-end journey
# throughput against a no-op workflow floor, API latency against a trivial
# handler, a LearningHub callback burst, and the team queue and worker RSS
# at scale. Prints the table and writes bench/results.md and
# bench/results.json. Separate from `make test`.
#
#   scripts/bench.sh                    # full scale (20,000 users, 2,000 worksites): about 20 min on 2 quiet cores
#   BENCH_SCALE=0.1 scripts/bench.sh    # a quick run at a tenth of the burst and scale counts
#
# Other knobs (environment): BENCH_JOURNEYS, BENCH_JOURNEY_CONCURRENCY,
# BENCH_LATENCY_CLIENTS (100), BENCH_LATENCY_SECONDS, BENCH_BURST_CONCURRENCY,
# BENCH_SCALE_CONCURRENCY, BENCH_QUEUE_CLIENTS, BENCH_WORKER=inprocess,
# BENCH_PROFILE_DIR (CPU profiles of the API process per phase), BENCH_OUT.
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	PATH="/usr/local/go/bin:$PATH"
fi

TEMPORAL_BIN=$(scripts/temporal-cli.sh)
scripts/ensure-postgres.sh

# The worker runs as its own process, so that its memory is measured alone.
BIN_DIR=$(mktemp -d)
trap 'rm -rf "$BIN_DIR"' EXIT
go build -o "$BIN_DIR/careconnect" ./cmd/careconnect

# The whole log (progress of each phase) goes to bench/last-run.log; the table to stdout.
LOG=bench/last-run.log
echo "bench: BENCH_SCALE=${BENCH_SCALE:-1}; log in $LOG (temporal CLI: $TEMPORAL_BIN)" >&2
status=0
CARECONNECT_BENCH=1 \
CARECONNECT_TEST_TEMPORAL_CLI="$TEMPORAL_BIN" \
CARECONNECT_TEST_DATABASE_URL="${CARECONNECT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}" \
BENCH_CARECONNECT_BIN="$BIN_DIR/careconnect" \
	go test -count=1 -run '^TestBench$' -timeout "${BENCH_TIMEOUT:-180m}" -v ./bench/ >"$LOG" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	tail -n 60 "$LOG" >&2
	echo "bench: FAILED (exit $status); see $LOG" >&2
	exit "$status"
fi
cat bench/results.md
echo "bench: written to bench/results.md and bench/results.json" >&2
