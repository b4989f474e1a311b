#!/usr/bin/env bash
# The test suite, run again and again while another process keeps every core busy: a test that
# passes only on an idle machine fails here. Usage: scripts/suite-under-load.sh [RUNS] (20).
#
# The load is one busy loop per core (python3), at the same niceness as the tests, so the tests
# get at most about half the machine. The suite is built once first (not under load); each run is
# `cargo test --locked` as README shows it. Stops at the first failing run and keeps its log.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
logs=$(mktemp -d "${TMPDIR:-/tmp}/copydesk-suite.XXXXXX")
cores=$(nproc)

cargo test --locked --no-run >"$logs/build.log" 2>&1

load=()
for _ in $(seq "$cores"); do
  python3 -c 'while True: pass' &
  load+=("$!")
done
trap 'kill "${load[@]}" 2>/dev/null || true' EXIT

echo "suite under load: $runs runs, $cores busy loops, logs in $logs"
start=$(date +%s)
for i in $(seq "$runs"); do
  t0=$(date +%s)
  if cargo test --locked >"$logs/run-$i.log" 2>&1; then
    passed=$(grep -ho '[0-9]* passed' "$logs/run-$i.log" | awk '{s+=$1} END {print s}')
    echo "run $i: ok, $passed tests passed, $(($(date +%s) - t0)) s, load $(cut -d' ' -f1 /proc/loadavg)"
  else
    echo "run $i: FAILED after $(($(date +%s) - t0)) s; see $logs/run-$i.log:"
    grep -E '^(test .* FAILED|failures:|---- )' "$logs/run-$i.log" | head -20
    exit 1
  fi
done
echo "all $runs runs passed in $(($(date +%s) - start)) s"
rm -rf "$logs"
