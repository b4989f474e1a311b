#!/usr/bin/env bash
# Soak: a few thousand files dropped into the inbox at once while the daemon is killed with
# `kill -9` and restarted several times. At the end every file must be stored exactly once (and
# filed away once). Bounded: it stops by itself. Usage: scripts/soak.sh [FILES] [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
kills=${2:-6}
cargo build --release --quiet
bin=$PWD/target/release/copydesk
work=$(mktemp -d)
trap 'cat "$work/cli.log" "$work/serve.log" 2>/dev/null | tail -5; pkill -9 -f "$work/config.toml" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/inbox"
cat > "$work/config.toml" <<TOML
[paths]
inbox = "$work/inbox"
db = "$work/db"
[daemon]
after_ingest = "move"
rescan_secs = 2
TOML

# Distinct articles: a seed text with a numbered lead, so no two are the same story.
seed=$(cat watch/001_*.txt)
for i in $(seq -w 1 "$files"); do
  printf 'Bulletin %s: desk update %s.\n%s\n' "$i" "$i" "$seed" > "$work/inbox/f$i.txt"
done
echo "soak: $files files in the inbox; $kills kill -9 rounds"

start=$(date +%s.%N)
for round in $(seq 1 "$kills"); do
  "$bin" --config "$work/config.toml" serve 2>>"$work/serve.log" &
  pid=$!
  sleep "$(python3 -c "import random; print(round(random.uniform(0.3, 1.5), 2))")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  left=$(find "$work/inbox" -maxdepth 1 -type f | wc -l)
  echo "soak: round $round killed; $left files still in the inbox"
done

"$bin" --config "$work/config.toml" serve 2>>"$work/serve.log" &
pid=$!
deadline=$(( $(date +%s) + 300 ))
while [ "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" -gt 0 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "soak: FAILED: files left after 300 s"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
stored=$("$bin" --config "$work/config.toml" stats --json 2>>"$work/cli.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"])')
distinct=$("$bin" --config "$work/config.toml" list --json --limit 10000 | python3 -c '
import json, sys
files = [json.loads(l)["file"] for l in sys.stdin]
print(len(set(files)), len(files))')
done_count=$(find "$work/inbox/done" -maxdepth 1 -type f | wc -l)
kill -TERM "$pid"; wait "$pid" || true
echo "soak: stored $stored articles; distinct files / records: $distinct; filed in done/: $done_count"
echo "soak: elapsed $(python3 -c "print(round($end - $start, 1))") s"
if [ "$stored" = "$files" ] && [ "$distinct" = "$files $files" ] && [ "$done_count" = "$files" ]; then
  echo "soak: PASSED: every file stored exactly once"
else
  echo "soak: FAILED"; exit 1
fi
