#!/usr/bin/env bash
# Runs copydesk's performance measurements in release and prints a short summary: ingest
# throughput (bench_ingest) and where its time goes (bench_phases), look-up latency and memory at
# 1,000,000 fingerprints (bench_lookup), fingerprint CPU cost (bench_simhash), the daemon's
# restart and resident memory at 1,000,000 stored articles (bench_restart: it fills a database
# first, about 3 minutes, kept in $target/bench-restart-db-N for the next run), text search
# latency at 1,000,000 articles (bench_search: it builds that database first, which takes tens of
# minutes here; SEARCH_DB=DIR keeps it for the next run), and the criterion benches (cargo bench
# --bench engine). Full logs are kept; see benches/README.md.
#
# usage: scripts/bench.sh [--quick] [--dev-simhash] [--no-criterion] [--wait-idle] [--curve]
#   --quick         smaller sizes (5,000 articles, 200,000 fingerprints, a restart at 100,000,
#                   search over 20,000),
#                   no criterion
#   --dev-simhash   also time bench_simhash in the dev profile (builds the dev profile)
#   --no-criterion  skip `cargo bench --bench engine`
#   --wait-idle     before each step, wait (up to 10 minutes) until other processes use less
#                   than 0.2 CPUs, for machines shared with builds
#   --curve         only the ingest curve: fill a new database with CURVE_ARTICLES (default
#                   10,000,000) 120-word articles in batches of 5,000 (bench_restart --fill-only),
#                   printing the rate of every 100,000 and the last 100,000 against the first.
#                   The articles draw on CURVE_WORDS words (default 48: chance candidates then
#                   grow with the archive, 1.3 an article at 1,000,000; 4800 makes almost none).
#                   10,000,000 was not run yet: from the first 1,000,000 (160 s, the rate falling
#                   from 13,500/s to 5,300/s) expect one to three hours on 2 CPUs and about 47 GB
#                   of disk (4.7 GB a million); the database is deleted afterwards unless
#                   CURVE_DB names it.
# Sizes can be set with ARTICLES, BATCH, STOCK, STORED, QUERIES, RESTART_ARTICLES and SEARCHED;
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=0 dev=0 criterion=1 wait_idle=0 curve=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 criterion=0 ;;
        --dev-simhash) dev=1 ;;
        --no-criterion) criterion=0 ;;
        --wait-idle) wait_idle=1 ;;
        --curve) curve=1 criterion=0 ;;
        -h | --help)
            sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench.sh: unknown argument '$arg'; see scripts/bench.sh --help" >&2
            exit 2
            ;;
    esac
done
if [ "$quick" = 1 ]; then
    : "${ARTICLES:=5000}" "${STORED:=200000}" "${QUERIES:=2000}" "${RESTART_ARTICLES:=100000}"
    : "${SEARCHED:=20000}"
fi
: "${ARTICLES:=20000}" "${BATCH:=1000}" "${STOCK:=0.1}" "${STORED:=1000000}" "${QUERIES:=10000}"
: "${RESTART_ARTICLES:=1000000}" "${SEARCHED:=1000000}"

target="${CARGO_TARGET_DIR:-target}"
logs="$target/bench-logs/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$logs"
examples=(bench_ingest bench_phases bench_lookup bench_simhash bench_restart bench_search)

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
step() { printf '\n== %s (load average %s)\n$ %s\n' "$1" "$(load)" "$2"; }
# CPU seconds all processes have used (from /proc/stat), and those this script's children have.
cpu_all() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
# CPU seconds this script's children have used, into $own. `times` must run in this shell: in
# a $(...) subshell it would see the subshell's children only.
own=0
cpu_children() {
    times >"$logs/.times"
    own=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } print n }' "$logs/.times")
}

# CPUs in use over the next 3 seconds, into $busy (this script only sleeps meanwhile).
busy=0
sample_busy() {
    local a
    a=$(cpu_all)
    sleep 3
    busy=$(awk -v a="$a" -v b="$(cpu_all)" 'BEGIN { printf "%.2f", (b - a) / 3 }')
}
# With --wait-idle, waits until the machine is idle (at most 10 minutes); warns if it is not.
settle() {
    local tries=1
    sample_busy
    while [ "$wait_idle" = 1 ] && awk -v u="$busy" 'BEGIN { exit !(u > 0.2) }' && [ "$tries" -lt 200 ]; do
        sample_busy
        tries=$((tries + 1))
    done
    if awk -v u="$busy" 'BEGIN { exit !(u > 0.2) }'; then
        echo "warning: other processes use $busy CPUs right now; they will skew the timings"
    fi
}

echo "copydesk benchmarks, $(nproc 2>/dev/null || echo '?') CPUs, logs in $logs"

build=(cargo build --release --quiet)
for e in "${examples[@]}"; do build+=(--example "$e"); done
step "build (release)" "${build[*]}"
"${build[@]}"

# Runs a step, logs it, and says how much CPU other processes took meanwhile: timings taken
# while something else runs on a 2-CPU machine are not worth quoting.
run() {
    local name="$1"
    shift
    settle
    step "$name" "$*"
    local all0 own0 t0 all1 own1 t1
    cpu_children
    all0=$(cpu_all) own0=$own t0=$(date +%s.%N)
    "$@" 2>&1 | tee "$logs/$name.log"
    cpu_children
    all1=$(cpu_all) own1=$own t1=$(date +%s.%N)
    awk -v a="$all0" -v b="$all1" -v o="$own0" -v p="$own1" -v s="$t0" -v e="$t1" -v n="$name" \
        'BEGIN { other = ((b - a) - (p - o)) / (e - s); if (other < 0) other = 0
                 printf "(%s: %.1f s wall; other processes used %.2f CPUs meanwhile)\n", n, e - s, other }' |
        tee -a "$logs/$name.log" "$logs/contention.txt"
}
bin="$target/release/examples"
if [ "$curve" = 1 ]; then
    : "${CURVE_ARTICLES:=10000000}"
    curve_db="${CURVE_DB:-$target/bench-curve-db-$CURVE_ARTICLES}"
    if [ -z "${CURVE_DB:-}" ] && [ -e "$curve_db" ]; then
        echo "bench.sh: $curve_db exists; the curve needs a new database (remove it, or name one with CURVE_DB)" >&2
        exit 2
    fi
    run curve "$bin/bench_restart" "$CURVE_ARTICLES" --db "$curve_db" --fill-only --words "${CURVE_WORDS:-48}"
    if [ -z "${CURVE_DB:-}" ]; then rm -rf "$curve_db"; fi
    echo
    grep '^RESULT' "$logs/curve.log" | sed 's/^RESULT /  /' || true
    exit 0
fi
run ingest "$bin/bench_ingest" --articles "$ARTICLES" --batch "$BATCH" --stock "$STOCK"
run phases "$bin/bench_phases" --articles "$ARTICLES" --batch "$BATCH" --stock "$STOCK"
# The best case: articles that share no stock phrases, so hardly any candidates to verify.
run ingest-stock0 "$bin/bench_ingest" --articles "$ARTICLES" --batch "$BATCH" --stock 0
run phases-stock0 "$bin/bench_phases" --articles "$ARTICLES" --batch "$BATCH" --stock 0
run lookup "$bin/bench_lookup" --stored "$STORED" --queries "$QUERIES"
run simhash "$bin/bench_simhash"
restart_db="$target/bench-restart-db-$RESTART_ARTICLES"
run restart "$bin/bench_restart" "$RESTART_ARTICLES" --db "$restart_db" --runs 5
search_db=()
if [ -n "${SEARCH_DB:-}" ]; then search_db=(--db "$SEARCH_DB"); fi
run search "$bin/bench_search" --articles "$SEARCHED" "${search_db[@]}"
if [ "$dev" = 1 ]; then
    step "build (dev)" "cargo build --quiet --example bench_simhash"
    cargo build --quiet --example bench_simhash
    run simhash-dev "$target/debug/examples/bench_simhash"
fi
if [ "$criterion" = 1 ]; then
    run criterion cargo bench --quiet --bench engine
fi

echo
echo "== summary"
cat "$logs"/*.log | grep '^RESULT' | sed 's/^RESULT /  /' || true
if [ -f "$logs/criterion.log" ]; then
    echo "  criterion medians:"
    # Criterion prints "name  time: [low median high]", the name alone on the line before when long.
    awk '/^[^ ]/ && !/time:/ { name = $1 }
         /time:/ && !/%/ { if ($1 != "time:") name = $1
                   sub(/.*time: *\[/, ""); split($0, t, " ")
                   printf "    %-40s %s %s\n", name, t[3], t[4] }' "$logs/criterion.log"
fi
sed 's/^(/  (/' "$logs/contention.txt"
echo "  full logs: $logs"
