# Sourced by the benchmark scripts: a copy of the service jar started with `./upshift serve`
# (embedded engine, fresh data directory, free HTTP port) and a bench user that signs in with a
# random API token. Needs ROOT and WORK set, and bench_pick_jdk called.
#   bench_build_jar                    builds workers/target/upshift.jar if the main sources are newer
#                                      (a build with unchanged main classes keeps the jar's date),
#                                      copies it and prepares the copy (extracted, start-up cache
#                                      trained: `./upshift prepare`); PREPARE_MS: how long that took
#   bench_start_service [ARGS...]      starts it (extra --spring.options, then the words of
#                                      UPSHIFT_BENCH_SERVICE_ARGS; data directory BENCH_DATA_DIR,
#                                      default $WORK/data), sets PID, BASE, TOKEN;
#                                      STARTUP_MS: from launch until readiness answered 200
#   bench_api CURL_ARGS...             curl with the token, JSON content type, failing on HTTP errors
#   bench_stop_service                 SIGTERM and wait
bench_build_jar() {
  local jar="$ROOT/workers/target/upshift.jar"
  if [ ! -f "$jar" ] || [ -n "$(cd "$ROOT" && find pom.xml bpmn workers/pom.xml workers/src/main -newer "$jar" \
    -type f -not -path '*/target/*' -print -quit)" ]; then
    printf '[bench] building the service (JDK: %s)\n' "$JAVA_HOME" >&2
    (cd "$ROOT" && ./upshift build) >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
  fi
  cp "$jar" "$WORK/upshift.jar"
  # The copy's extracted jar and start-up cache are made now, so the start measured is a start
  # as every `./upshift serve` after the first one of a build makes it.
  local t0=$(date +%s%N)
  UPSHIFT_JAR="$WORK/upshift.jar" "$ROOT/upshift" prepare >"$WORK/prepare.log" 2>&1 || { cat "$WORK/prepare.log" >&2; exit 1; }
  PREPARE_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

bench_start_service() {
  local port token_sha hash t0
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  BASE="http://127.0.0.1:$port"
  TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  token_sha="$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
  # The bench user signs in with its token only: its password hash is random characters in the
  # bcrypt format, which no password matches.
  hash='$2a$10$'"$(LC_ALL=C tr -dc './A-Za-z0-9' </dev/urandom | head -c 53 || true)"
  t0=$(date +%s%N)
  UPSHIFT_JAR="$WORK/upshift.jar" "$ROOT/upshift" serve \
    --server.port="$port" --upshift.engine.port=0 --upshift.data-dir="${BENCH_DATA_DIR:-$WORK/data}" \
    --upshift.security.users[0].name=bench --upshift.security.users[0].password-hash="$hash" \
    --upshift.security.users[0].roles=OPERATOR,VIEWER --upshift.security.users[0].api-token-sha256="$token_sha" \
    "$@" ${UPSHIFT_BENCH_SERVICE_ARGS:-} >"$WORK/service.log" 2>&1 &
  PID=$!
  until curl -fsS -o /dev/null "$BASE/actuator/health/readiness" 2>/dev/null; do
    if ! kill -0 "$PID" 2>/dev/null || grep -q 'Application run failed' "$WORK/service.log"; then
      grep -A3 'Application run failed' "$WORK/service.log" >&2 || tail -40 "$WORK/service.log" >&2
      echo "[bench] the service failed to start (log above)" >&2
      exit 1
    fi
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 300000 ] || { echo "[bench] not ready after 300 s" >&2; exit 1; }
    sleep 0.1
  done
  STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

bench_api() {
  curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"
}

bench_stop_service() { # SIGTERM; SIGKILL if the JVM is still there 30 s later (see docs/benchmarks.md)
  local i
  if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" || true
    for i in $(seq 1 30); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$PID" 2>/dev/null; then
      echo "[bench] the service did not exit within 30 s of SIGTERM: killing it" >&2
      kill -9 "$PID" || true
    fi
    wait "$PID" 2>/dev/null || true
  fi
  PID=""
}
