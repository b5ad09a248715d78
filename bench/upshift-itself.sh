#!/usr/bin/env bash
# Benchmark: Upshift itself. Start-up time to ready, heap after a run, and RUNS concurrent runs of
# the health-check runbook (wall time and memory).
#   bench/upshift-itself.sh [RUNS]     default: 100
# Builds the service jar if needed, then starts a copy with `./upshift serve` (embedded engine, a
# fresh data directory, a free HTTP port, one bench user with a random API token) and measures:
#   - start-up: from launching `./upshift serve` until GET /actuator/health/readiness answers 200
#     (readiness turns UP once the runbooks are deployed), polled every 100 ms;
#   - heap: `jcmd GC.run` then `jcmd GC.heap_info` (used after a full GC), once ready, after one
#     health-check run, and after the concurrent runs; RSS of the JVM from ps;
#   - RUNS runs of health-check started at once (RUNS parallel POST /api/runs), each checking the
#     service's own /actuator/health/liveness: wall time from the first POST until the journal
#     shows every run ended, the runs' own span (first startedAt to last endedAt), and the peak
#     RSS (ps) and heap used (Prometheus jvm_memory_used_bytes, area heap) sampled every 200 ms.
# Results and method: docs/benchmarks.md, "Upshift itself".
set -euo pipefail

RUNS="${1:-100}"
[[ "$RUNS" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "[bench] RUNS is a whole number 1-9999, got '$RUNS'" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/jdk.sh
. "$ROOT/bench/lib/jdk.sh"
# shellcheck source=lib/service.sh
. "$ROOT/bench/lib/service.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/upshift-itself-bench.XXXXXX")"
PID=""
say() { printf '[bench] %s\n' "$*" >&2; }
cleanup() { # UPSHIFT_BENCH_KEEP=1 keeps the work directory (service log, runs, answers) to look into
  bench_stop_service
  if [ "${UPSHIFT_BENCH_KEEP:-}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
load() { uptime | sed 's/.*load average: //'; }

bench_pick_jdk
bench_build_jar

heap_used() { # MB used by the heap, optionally after a full GC
  [ "${1:-}" = gc ] && jcmd "$PID" GC.run >/dev/null
  jcmd "$PID" GC.heap_info | awk '/used/ && /total/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i+1); sub(/K,?$/, "", v); printf "%.0f\n", v / 1024; exit}}'
}
rss() { ps -o rss= -p "$PID" | awk '{printf "%.0f\n", $1 / 1024}'; }
heap_now() { # MB used by the heap now (no GC), from the open Prometheus endpoint: cheap to sample
  curl -fsS "$BASE/actuator/prometheus" | awk '/^jvm_memory_used_bytes\{area="heap"/ {sum += $NF} END {printf "%.0f\n", sum / 1048576}'
}

echo "prepared the copy (jar extracted, start-up cache trained) in $PREPARE_MS ms"
say "load before: $(load)"
started_in() { grep -o 'Started UpshiftApplication in [0-9.]* seconds[^)]*)' "$WORK/service.log" | head -1; }
# The same start without the start-up cache first, for comparison (a data directory of its own).
UPSHIFT_AOT=false BENCH_DATA_DIR="$WORK/data-nocache" bench_start_service
echo "start-up to ready without the start-up cache (UPSHIFT_AOT=false): $STARTUP_MS ms ($(started_in))"
bench_stop_service
bench_start_service
echo "start-up to ready: $STARTUP_MS ms ($(started_in))"
echo "heap used after GC, ready: $(heap_used gc) MB (RSS $(rss) MB)"

BODY="{\"runbook\": \"health-check\", \"variables\": {\"checks\": [{\"url\": \"$BASE/actuator/health/liveness\"}]}}"
await_ended() { # waits until no health-check run is active
  while [ "$(bench_api "$BASE/api/runs?state=active&runbook=health-check&limit=500" | jq length)" != 0 ]; do sleep 0.2; done
}

first="$(bench_api -d "$BODY" "$BASE/api/runs" | jq -r .id)"
await_ended
echo "first run: $(bench_api "$BASE/api/runs/$first" | jq -r '"\(.state), \(.steps | length) step(s)"')"
echo "heap used after GC, after one run: $(heap_used gc) MB (RSS $(rss) MB)"

say "starting $RUNS runs at once; load: $(load)"
peak_rss=0 peak_heap=0
t1=$(date +%s%N)
seq "$RUNS" | xargs -P "$RUNS" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$BODY" "$BASE/api/runs" >"$WORK/codes" &
POSTS=$!
while :; do
  r="$(rss)" h="$(heap_now)"
  [ "$r" -gt "$peak_rss" ] && peak_rss=$r
  [ "$h" -gt "$peak_heap" ] && peak_heap=$h
  if ! kill -0 "$POSTS" 2>/dev/null &&
    [ "$(bench_api "$BASE/api/runs?state=active&runbook=health-check&limit=500" | jq length)" = 0 ]; then
    break
  fi
  [ "$(ms "$t1")" -lt 600000 ] || { say "runs still active after 600 s"; exit 1; }
  sleep 0.2
done
wall=$(ms "$t1")
wait "$POSTS"
created="$(grep -c '^201$' "$WORK/codes" || true)"
answers="$(sort "$WORK/codes" | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')"
bench_api "$BASE/api/runs?runbook=health-check&limit=500" >"$WORK/runs.json"
echo "$RUNS concurrent runs: $created accepted (201; answers: $answers), wall time $wall ms from the first request until all ended;" \
  "$(FIRST="$first" python3 - "$WORK/runs.json" <<'PY'
import json, os, sys
from datetime import datetime
runs = [r for r in json.load(open(sys.argv[1])) if r["id"] != os.environ["FIRST"]]
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
done = [r for r in runs if r["state"] == "completed"]
span = max(t(r["endedAt"]) for r in runs) - min(t(r["startedAt"]) for r in runs)
each = sorted((t(r["endedAt"]) - t(r["startedAt"])).total_seconds() * 1000 for r in runs)
print(f"{len(done)} completed, {len(runs) - len(done)} other; journal: first start to last end"
      f" {span.total_seconds() * 1000:.0f} ms, per run median {each[len(each) // 2]:.0f} ms, max {each[-1]:.0f} ms")
PY
)"
echo "during the runs: peak RSS $peak_rss MB, peak heap used $peak_heap MB (jvm_memory_used_bytes area=heap, no GC forced)"
echo "heap used after GC, after the runs: $(heap_used gc) MB (RSS $(rss) MB)"
say "load after: $(load)"
