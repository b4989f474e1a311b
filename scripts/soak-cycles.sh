#!/usr/bin/env bash
# Soak of many `kill -9` cycles. Each round drops new files into the inbox, starts the daemon and
# kills it with `kill -9` at a random moment; some rounds also drop a hostile HTML page (nesting
# far over the parse budget), take the daemon's descriptors away for a moment (prlimit, soft
# limit 0) or keep a subscriber that never reads. At the end a daemon left running finishes the
# inbox, and every file must be stored exactly once: no file lost, none doubled. A file that was
# in hand at a kill, then alone in hand at two more, is set aside (rejected, filed in .rejected/
# with the reason "copydesk stopped three times while reading this file, twice with it alone;
# set aside"): counted and reported.
# Usage: scripts/soak-cycles.sh [ROUNDS] [FILES_PER_ROUND]   (1,000 rounds take about half an hour)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1000}
per=${2:-10}
cargo build --release --quiet
bin=$PWD/target/release/copydesk
work=$(mktemp -d)
cleanup() {
  tail -3 "$work/serve.log" 2>/dev/null || true
  pkill -9 -f "$work/config.toml" 2>/dev/null || true
  pkill -9 -f "$work/slow.py" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/inbox"
cat > "$work/config.toml" <<TOML
[paths]
inbox = "$work/inbox"
db = "$work/db"
[daemon]
after_ingest = "move"
settle_ms = 100
rescan_secs = 2
TOML
# A subscriber that asks for everything and never reads a line.
cat > "$work/slow.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"req":1,"op":"subscribe","after":0}\n')
time.sleep(3600)
PY
seed=$(cat watch/001_*.txt)
hostile=0 exhausted=0 slow=0
start=$(date +%s)
for round in $(seq 1 "$rounds"); do
  for j in $(seq 1 "$per"); do
    printf 'Bulletin %s-%s: desk update %s.\n%s\n' "$round" "$j" "$round$j" "$seed" \
      > "$work/inbox/.r$round-$j.tmp"
    mv "$work/inbox/.r$round-$j.tmp" "$work/inbox/r$round-$j.txt"
  done
  if (( round % 50 == 0 )); then
    python3 -c "print('<html><body>' + '<div>' * 100000 + 'deep' + '</div>' * 100000)" \
      > "$work/inbox/hostile-$round.html"
    hostile=$((hostile + 1))
  fi
  "$bin" --config "$work/config.toml" serve 2>>"$work/serve.log" &
  pid=$!
  spid=
  if (( round % 25 == 0 )); then
    for _ in $(seq 1 100); do [ -S "$work/db/copydesk.sock" ] && break; sleep 0.05; done
    if [ -S "$work/db/copydesk.sock" ]; then
      python3 "$work/slow.py" "$work/db/copydesk.sock" 2>/dev/null &
      spid=$!
      slow=$((slow + 1))
    fi
  fi
  if (( round % 20 == 0 )); then
    sleep 0.2
    if prlimit --pid "$pid" --nofile=0: 2>/dev/null; then
      sleep 0.3
      prlimit --pid "$pid" --nofile=1024: 2>/dev/null || true
      exhausted=$((exhausted + 1))
    fi
  fi
  sleep "$(python3 -c "import random; print(round(random.uniform(0.2, 1.0), 2))")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$spid" ]; then kill -9 "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  if (( round % 100 == 0 )); then
    echo "soak: round $round of $rounds; $(find "$work/inbox" -maxdepth 1 -type f | wc -l) files waiting"
  fi
done

"$bin" --config "$work/config.toml" serve 2>>"$work/serve.log" &
pid=$!
deadline=$(( $(date +%s) + 900 ))
while [ "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" -gt 0 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "soak: FAILED: files left after 900 s"; exit 1; }
  sleep 0.5
done
end=$(date +%s)
files=$((rounds * per))
expected=$((files + hostile))
# Every record, paged by id; each file's name once.
report=$(python3 - "$bin" "$work/config.toml" <<'PY'
import json, subprocess, sys
bin, config = sys.argv[1], sys.argv[2]
files, before, statuses = [], None, {}
while True:
    args = [bin, "--config", config, "list", "--json", "--limit", "5000"]
    if before is not None:
        args += ["--before", str(before)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    if not rows:
        break
    for r in rows:
        files.append(r["file"].rsplit("/", 1)[-1])
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    before = rows[-1]["id"]
print(len(files), len(set(files)), json.dumps(statuses, sort_keys=True))
PY
)
read -r records distinct statuses <<<"$report"
stored=$("$bin" --config "$work/config.toml" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"])')
done_count=$(find "$work/inbox/done" -maxdepth 1 -type f | wc -l)
rejected=$( (find "$work/inbox/.rejected" -maxdepth 1 -type f -name '*.html' 2>/dev/null || true) | wc -l)
# Bulletins set aside after three kills, the last two with each alone in hand (the reason file
# says so).
set_aside=$( (grep -l "stopped three times while reading" "$work/inbox/.rejected/"*.txt.reason 2>/dev/null || true) | wc -l)
kill -TERM "$pid"; wait "$pid" || true
echo "soak: $rounds kill -9 rounds, $files files, $hostile hostile pages, descriptors taken away in $exhausted rounds, a subscriber that never reads in $slow"
echo "soak: stored $stored; records $records, distinct files $distinct; by verdict $statuses; filed in done/ $done_count, hostile pages rejected $rejected"
echo "soak: bulletins set aside (in hand at three kills in a row, alone at the last two) $set_aside"
echo "soak: elapsed $((end - start)) s"
if [ "$stored" = "$expected" ] && [ "$records" = "$expected" ] && [ "$distinct" = "$expected" ] \
   && [ "$((done_count + set_aside))" = "$files" ] && [ "$rejected" = "$hostile" ]; then
  echo "soak: PASSED: every file stored exactly once (0 lost, 0 doubled; $set_aside set aside)"
else
  echo "soak: FAILED: expected $expected stored, $files filed in done/ or set aside, $hostile rejected"
  exit 1
fi
