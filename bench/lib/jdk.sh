# Sourced by the benchmark scripts: pick the newest JDK >= 21 (the Zeebe engine is Java 21
# bytecode) from JAVA_HOME or /usr/lib/jvm, like the ./upshift launcher, and export it.
bench_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    awk -F' = ' '/java.specification.version/ {print $2}' | cut -d. -f1
}
bench_pick_jdk() {
  local best="" best_major=0 candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major="$(bench_java_major "$candidate" || echo 0)"
    if [ "${major:-0}" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate" best_major="$major"
    fi
  done
  [ -n "$best" ] || { echo "[bench] no JDK 21 or newer found (JAVA_HOME, /usr/lib/jvm/*)" >&2; exit 1; }
  export JAVA_HOME="$best" PATH="$best/bin:$PATH"
}
