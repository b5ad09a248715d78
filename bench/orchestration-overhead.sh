#!/usr/bin/env bash
# Benchmark: orchestration overhead per step of a runbook on the embedded engine.
#   bench/orchestration-overhead.sh [N...] [RUNS]     defaults: 10 100, 20 runs each
# (with two or more arguments the last one is RUNS: `bench/orchestration-overhead.sh 10 100 20`).
# Builds the service jar if needed (./upshift build, test classes included), then runs io.upshift.engine.OrchestrationOverheadBench
# (workers/src/test/java): the whole service with its embedded engine, a generated runbook of N
# service tasks of the harness-only job type bench.noop (a @JobWorker through Upshift's JobSteps,
# journaled like every step), started with RunService like an API request, RUNS times after 2
# warm-up runs, one run at a time. Per step, from the run journal: time from the end of the previous
# step (the run's creation for the first) to the end of this one, minus the no-op called directly.
# Prints median, p95 and max per N. Results and method: docs/benchmarks.md, "Orchestration overhead".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/jdk.sh
. "$ROOT/bench/lib/jdk.sh"
SIZES=(10 100) RUNS=20
if [ $# -ge 2 ]; then
  RUNS="${*: -1}"
  SIZES=("${@:1:$#-1}")
elif [ $# -eq 1 ]; then
  SIZES=("$1")
fi
for value in "${SIZES[@]}" "$RUNS"; do
  [[ "$value" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "[bench] N and RUNS are whole numbers 1-9999, got '$value'" >&2; exit 2; }
done
WORK="$(mktemp -d "${TMPDIR:-/tmp}/upshift-overhead-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

say() { printf '[bench] %s\n' "$*" >&2; }

bench_pick_jdk
cd "$ROOT"
JAR="$ROOT/workers/target/upshift.jar"
# The service jar (its BOOT-INF/lib is the classpath) plus the harness from the test classes.
HARNESS=workers/target/test-classes/io/upshift/engine/OrchestrationOverheadBench.class
# A build with unchanged main classes keeps the jar's date: the harness is compared on its own.
if [ ! -f "$JAR" ] || [ ! -f "$HARNESS" ] ||
  [ -n "$(find pom.xml bpmn workers/pom.xml workers/src/main -newer "$JAR" -type f -not -path '*/target/*' -print -quit)" ] ||
  [ -n "$(find workers/src/test -newer "$HARNESS" -type f -print -quit)" ]; then
  say "building the service and the harness (JDK: $JAVA_HOME)"
  ./upshift build >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
fi
cp "$JAR" "$WORK/upshift.jar"
# Only the harness: the rest of the test classes (test runbooks, test profiles) stays out.
mkdir -p "$WORK/harness/io/upshift/engine"
cp workers/target/test-classes/io/upshift/engine/OrchestrationOverheadBench*.class "$WORK/harness/io/upshift/engine/"

say "N = ${SIZES[*]}, $RUNS runs each; load: $(uptime | sed 's/.*load average/load average/')"
# The service logs to the same stdout as the harness: keep the harness's lines only.
java -cp "$WORK/upshift.jar" -Dloader.path="$WORK/harness" \
  -Dloader.main=io.upshift.engine.OrchestrationOverheadBench \
  org.springframework.boot.loader.launch.PropertiesLauncher "$RUNS" "${SIZES[@]}" >"$WORK/out.log" 2>&1 ||
  { tail -60 "$WORK/out.log" >&2; exit 1; }
grep -E '^(service started|N=|RESULT)' "$WORK/out.log"
say "load after: $(uptime | sed 's/.*load average/load average/')"
