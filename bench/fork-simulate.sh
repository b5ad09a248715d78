#!/usr/bin/env bash
# Benchmark: the fork merge simulation (./upshift fork simulate) on a generated repository.
#   bench/fork-simulate.sh [FILES] [UPSTREAM_COMMITS] [RUNS]     defaults: 5000 500 5
# Generates with `git fast-import` (one process, no working-tree churn): an upstream history of
# FILES files (30 lines each) tagged v1.0, then UPSTREAM_COMMITS commits touching 3 random files
# each, tagged v2.0; a fork branch from v1.0 with 10 custom commits (5 random files each, so some
# collide with upstream) and its rules file. Then runs the simulation RUNS times and prints the
# in-process simulation time and the wall time of each command (JVM start included).
# Results and method: docs/benchmarks.md, section "Fork merge simulation".
set -euo pipefail

FILES="${1:-5000}"
UPSTREAM="${2:-500}"
RUNS="${3:-5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/upshift-fork-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
REPO="$WORK/fork"

say() { printf '[bench] %s\n' "$*" >&2; }

say "generating $FILES files, $UPSTREAM upstream commits, 10 fork commits in $REPO"
git init -q -b main "$REPO"
started=$(date +%s%N)
awk -v files="$FILES" -v upstream="$UPSTREAM" 'BEGIN {
  srand(15); t = 1700000000; mark = 0
  for (i = 0; i < files; i++) { path[i] = sprintf("src/d%03d/file_%05d.txt", i % 100, i)
    for (j = 0; j < 30; j++) line[i, j] = "file " i " line " j }
  # v1.0: every file
  commit("refs/heads/main", "Initial import", -1)
  for (i = 0; i < files; i++) put(i)
  base = mark
  printf "reset refs/tags/v1.0\nfrom :%d\n\n", base
  for (c = 0; c < upstream; c++) {
    commit("refs/heads/main", "Upstream change " c, mark)
    for (k = 0; k < 3; k++) { i = int(rand() * files); line[i, int(rand() * 30)] = "upstream " c "." k; put(i) }
  }
  printf "reset refs/tags/v2.0\nfrom :%d\n\n", mark
  # the fork starts again from v1.0 content
  for (i = 0; i < files; i++) for (j = 0; j < 30; j++) line[i, j] = "file " i " line " j
  parent = base
  rules = "tagPrefix: bench\ntest: [make, test]\nrules:\n  - path: src/d00*/**\n    decision: accept-upstream\n    reason: upstream owns these\n  - path: src/d01*/**\n    decision: keep-ours\n    reason: ours\n"
  for (c = 0; c < 10; c++) {
    commit("refs/heads/fork", "Custom change " c, parent); parent = mark
    if (c == 0) inline("fork/upgrade-rules.yaml", rules)
    for (k = 0; k < 5; k++) { i = int(rand() * files); line[i, int(rand() * 30)] = "fork " c "." k; put(i) }
  }
}
function commit(ref, msg, from) {
  mark++; t += 60
  printf "commit %s\nmark :%d\ncommitter Bench <bench@localhost> %d +0000\ndata %d\n%s\n", ref, mark, t, length(msg) + 1, msg
  if (from > 0) printf "from :%d\n", from
}
function put(i,   s, j) { s = ""; for (j = 0; j < 30; j++) s = s line[i, j] "\n"; inline(path[i], s) }
function inline(p, s) { printf "M 100644 inline %s\ndata %d\n%s\n", p, length(s), s }
' | git -C "$REPO" fast-import --quiet
git -C "$REPO" checkout -q fork
say "generated in $(( ($(date +%s%N) - started) / 1000000 )) ms: $(git -C "$REPO" ls-files | wc -l) files," \
  "$(git -C "$REPO" rev-list --count v1.0..v2.0) upstream commits, $(git -C "$REPO" rev-list --count v1.0..fork) fork commits"

for run in $(seq 1 "$RUNS"); do
  t0=$(date +%s%N)
  out="$("$ROOT/upshift" fork simulate "$REPO" v2.0)"
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$run" = 1 ] && printf '%s\n' "$out" | head -4
  printf 'run %d: %s, command wall time %d ms\n' "$run" "$(printf '%s\n' "$out" | grep -o 'simulated in [0-9]* ms')" "$wall"
done
