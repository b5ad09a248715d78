#!/usr/bin/env bash
# Approval latency while another run's backup takes minutes (docs/benchmarks.md): runs
# io.upshift.approval.ApprovalLatencyBench through failsafe (real engine, Docker, PostgreSQL, git)
# and prints its APPROVAL-LATENCY lines. Exit code: the benchmark's (1 when the 2 s target is
# missed or the measurement is invalid).
#
#   bench/approval-latency.sh [ROWS]    ROWS seeded into the big platform's database (default 10000000: its backup must outlast the second run's way to its approval)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${1:-10000000}"
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] &&
     [ "$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}' | cut -d. -f1)" -ge 21 ] 2>/dev/null; then
    export JAVA_HOME="$candidate" PATH="$candidate/bin:$PATH"
    break
  fi
done
bash deploy/lib/ensure-docker.sh
export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost
LOG="$(mktemp /tmp/approval-latency.XXXXXX.log)"
echo "[bench] load average before: $(cut -d' ' -f1-3 /proc/loadavg); log: $LOG" >&2
status=0
./mvnw -B -o -pl workers -am verify -Dit.test=ApprovalLatencyBench -Dtest=NONE \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dupshift.latency.rows="$ROWS" >"$LOG" 2>&1 || status=$?
grep -h 'APPROVAL-LATENCY' "$LOG" || true
echo "[bench] load average after: $(cut -d' ' -f1-3 /proc/loadavg); exit $status" >&2
exit "$status"
