#!/usr/bin/env bash
# Replays the container image's build and run steps without Docker, so that the image's
# entrypoint is known to work on a machine without a Docker engine:
#   1. extracts the packaged jar with the Dockerfile's own extract command,
#   2. lays the extracted layers out as the Dockerfile's COPY lines do,
#   3. trains the AOT cache and starts Spindle through deploy/entrypoint.sh (the image's ENTRYPOINT,
#      so the JVM flags are the image's), on free ports,
#   4. waits for /actuator/health/readiness = UP, checks the AOT cache was used, runs a job,
#   5. stops it with SIGTERM and checks it drained and exited, and that it wrote nothing outside
#      data/ (the image runs with a read-only root filesystem).
#
#   deploy/check-image-layout.sh [jar]              jar: default target/spindle-*.jar
#   deploy/check-image-layout.sh --measure N [jar]  also N starts with and without the AOT cache
#
# Needs a JDK 25 (JAVA_HOME or java on PATH) and curl.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$root/Dockerfile"
measure=0
if [ "${1:-}" = "--measure" ]; then
  measure="$2"
  shift 2
fi
jar="${1:-$(ls "$root"/target/spindle-*.jar 2>/dev/null | grep -v -- '-plain' | head -n 1 || true)}"
[ -f "$jar" ] || { echo "No packaged jar (${jar:-target/spindle-*.jar}): run ./mvnw package first" >&2; exit 2; }
if [ -n "${JAVA_HOME:-}" ]; then
  export PATH="$JAVA_HOME/bin:$PATH"
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# --- what the Dockerfile does, read from the Dockerfile --------------------------------------
extract_cmd="$(grep -o 'java -Djarmode=tools -jar spindle\.jar extract[^\\&]*' "$dockerfile" | sed 's/ *$//')"
[ -n "$extract_cmd" ] || fail "no 'java -Djarmode=tools -jar spindle.jar extract' step in the Dockerfile"
destination="$(sed -n 's/.*--destination \([^ ]*\).*/\1/p' <<<"$extract_cmd")"
mapfile -t layers < <(sed -n "s#^COPY --from=build /build/$destination/\([^/]*\)/ \./\$#\1#p" "$dockerfile")
[ "${#layers[@]}" -gt 0 ] || fail "no 'COPY --from=build /build/$destination/<layer>/ ./' lines in the Dockerfile"
grep -q '^ENTRYPOINT \["/app/entrypoint.sh"\]$' "$dockerfile" || fail "the Dockerfile's ENTRYPOINT is not /app/entrypoint.sh"
grep -q '^COPY .*deploy/entrypoint.sh \./$' "$dockerfile" || fail "the Dockerfile does not copy deploy/entrypoint.sh into /app"
grep -q '^RUN ./entrypoint.sh --train-aot-cache' "$dockerfile" || fail "the Dockerfile has no AOT training step"

work="$(mktemp -d "${TMPDIR:-/tmp}/spindle-image.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "extract: $extract_cmd"
mkdir "$work/build" "$work/app"
cp "$jar" "$work/build/spindle.jar"
(cd "$work/build" && eval "$extract_cmd" >/dev/null)
for layer in "${layers[@]}"; do
  [ -d "$work/build/$destination/$layer" ] || fail "the jar has no layer '$layer' (the Dockerfile copies it)"
  cp -a "$work/build/$destination/$layer/." "$work/app/"
done
for layer in "$work/build/$destination"/*/; do
  layer="$(basename "$layer")"
  [[ " ${layers[*]} " == *" $layer "* ]] || fail "the jar has a layer '$layer' that the Dockerfile does not copy"
done
cp "$root/deploy/entrypoint.sh" "$work/app/entrypoint.sh"
chmod 0755 "$work/app/entrypoint.sh"
echo "layers: ${layers[*]}"

step "AOT training: ./entrypoint.sh --train-aot-cache"
(cd "$work/app" && ./entrypoint.sh --train-aot-cache >"$work/train.log" 2>&1) || { tail -n 40 "$work/train.log"; fail "the AOT training run failed"; }
[ -s "$work/app/app.aot" ] || fail "the AOT training made no app.aot"
rm -rf "$work/app/data"   # as the Dockerfile does
echo "app.aot: $(du -h "$work/app/app.aot" | cut -f1)"

free_port() {
  # a port nobody listens on now; the kernel's ephemeral range is not used for listening
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# start <log> [JAVA_OPTS]: starts Spindle from the layout through the entrypoint, sets pid and ports
start() {
  http_port="$(free_port)"
  management_port="$(free_port)"
  # -XX:MaxRAM stands in for the container's memory limit: without one, MaxRAMPercentage of a big
  # host's memory is a heap over 32 GiB, without compressed oops, and the JVM refuses the cache
  (cd "$work/app" && JAVA_OPTS="-XX:MaxRAM=1g ${2:-}" exec ./entrypoint.sh --server.port="$http_port" \
    --management.server.port="$management_port" --spindle.tcp.port=0 >"$1" 2>&1) &
  pid=$!
}

# await_ready <log>: prints the milliseconds from start to readiness UP; fails after 120 s
await_ready() {
  local started="$1" deadline=$((SECONDS + 120))
  until curl -sf -o /dev/null "http://127.0.0.1:$management_port/actuator/health/readiness"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$2"; fail "Spindle exited before it was ready"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 "$2"; fail "not ready within 120 s"; }
    sleep 0.05
  done
  echo $(( ($(date +%s%N) - started) / 1000000 ))
}

stop() {
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "did not stop within 60 s of SIGTERM"
    sleep 0.1
  done
  wait "$pid" || true
  pid=""
}

step "start: ./entrypoint.sh (the image's ENTRYPOINT) from the extracted layout"
touch "$work/before-start"
t0="$(date +%s%N)"
start "$work/run.log" "-Xlog:aot=info:file=$work/aot.log"
ms="$(await_ready "$t0" "$work/run.log")"
echo "readiness UP after $ms ms (ports $http_port, $management_port)"
grep -q 'Opened AOT cache' "$work/aot.log" || fail "the JVM did not open app.aot"
if grep -q 'Unable to use AOT cache' "$work/aot.log"; then
  grep -i -B2 -A2 'unable to use' "$work/aot.log" >&2
  fail "the JVM refused app.aot"
fi
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- '-XX:MaxRAMPercentage' || fail "the JVM runs without the image's flags"

step "submit a job"
job="$(curl -sf -X POST "http://127.0.0.1:$http_port/api/v1/jobs" -H 'Content-Type: application/json' \
  -d '{"type": "noop", "payload": {"from": "check-image-layout"}}')" || fail "submit failed"
id="$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$job")"
done_job="$(curl -sf "http://127.0.0.1:$http_port/api/v1/jobs/$id?wait=PT10S")"
grep -q '"state":"SUCCEEDED"' <<<"$done_job" || fail "job $id did not succeed: $done_job"
echo "job $id SUCCEEDED"

step "stop with SIGTERM"
stop
grep -q 'Graceful shutdown complete\|Commencing graceful shutdown' "$work/run.log" || fail "no graceful shutdown in the log"
written="$(cd "$work/app" && find . -newer "$work/before-start" -not -path './data' -not -path './data/*' -not -path '.')"
[ -z "$written" ] || fail "Spindle wrote outside data/, which a read-only root filesystem refuses: $written"
echo "stopped; wrote only under data/"

if [ "$measure" -gt 0 ]; then
  step "startup to readiness UP, $measure runs each (ms)"
  for mode in without with; do
    runs=()
    for _ in $(seq 1 "$measure"); do
      rm -rf "$work/app/data"
      if [ "$mode" = without ]; then mv "$work/app/app.aot" "$work/app.aot.off"; fi
      t0="$(date +%s%N)"
      start "$work/measure.log"
      runs+=("$(await_ready "$t0" "$work/measure.log")")
      stop
      if [ "$mode" = without ]; then mv "$work/app.aot.off" "$work/app/app.aot"; fi
    done
    sorted="$(printf '%s\n' "${runs[@]}" | sort -n | tr '\n' ' ')"
    median="$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (measure + 1) / 2 ))p")"
    echo "$mode AOT cache: median $median ms; runs: $sorted"
  done
fi
echo "OK: the image layout starts, serves and stops"
