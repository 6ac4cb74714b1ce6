#!/usr/bin/env bash
# RESP listener benchmarks (issue 5), about 3 minutes:
#
#   bench/tcp/run.sh
#
# Starts a redis-server of its own (the baseline, same machine, same run) and the Spindle jar as a
# separate JVM in a temporary directory (a fresh ./data for its embedded store), then with
# redis-benchmark:
#   1. PING, 32 connections: Spindle vs redis-server (target >= 80 % of redis-server)
#   2. PING pipelined -P 16, 32 connections (target >= 40 % of redis-server)
#   3. SUBMIT of a noop job delayed by a day (stored and queued, not run, so no drain competes with
#      later measurements) against redis-server LPUSH, the anchor, measured next to it in each run:
#      32 connections, not pipelined (target: SUBMIT >= 50 % of LPUSH), and -P 16 (reported)
#   4. 10,000 idle connections, measured first on the fresh JVM: RSS growth per connection of
#      Spindle (target <= 16 KB; with the live heap after a full GC beside it) and of redis-server
# Each throughput figure is the median of TCP_BENCH_RUNS runs (default 3), Spindle and redis
# alternating. Prints a markdown block and writes it to bench/results/tcp-<UTC time>.md.
#
# Environment (optional): TCP_BENCH_JAVA_HOME (JDK 25), SPINDLE_JAR, TCP_BENCH_RUNS,
# TCP_BENCH_REQUESTS (PING requests per run, default 200000), TCP_BENCH_IDLE (default 10000).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JDK=${TCP_BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JDK/bin/java"
RUNS=${TCP_BENCH_RUNS:-3}
REQUESTS=${TCP_BENCH_REQUESTS:-200000}
IDLE=${TCP_BENCH_IDLE:-10000}
RESP_PORT=17379
REDIS_PORT=16379
HTTP_PORT=18280
MGMT_PORT=18281

log() { printf '[tcp-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
for tool in redis-benchmark redis-server redis-cli curl; do
  command -v "$tool" >/dev/null || { echo "tcp-bench: $tool is needed (apt-get install -y redis-tools redis-server curl)" >&2; exit 1; }
done
[[ -x "$JAVA" ]] || { echo "tcp-bench: no JDK 25 at $JDK (set TCP_BENCH_JAVA_HOME)" >&2; exit 1; }

JAR=${SPINDLE_JAR:-$(ls "$ROOT"/target/spindle-*.jar 2>/dev/null | grep -v -- '-plain' | head -1 || true)}
if [[ -z "$JAR" ]]; then
  log "building the jar"
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -B -q -DskipTests package)
  JAR=$(ls "$ROOT"/target/spindle-*.jar | grep -v -- '-plain' | head -1)
fi

WORK=$(mktemp -d /tmp/spindle-tcp-bench.XXXXXX)
SPINDLE_PID=""; REDIS_PID=""; IDLE_PID=""
cleanup() {
  for pid in $IDLE_PID $SPINDLE_PID $REDIS_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- servers -----------------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --maxclients $((IDLE + 1000)) \
  --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
cp "$JAR" "$WORK/spindle.jar"
(cd "$WORK" && exec "$JAVA" -jar spindle.jar --server.port=$HTTP_PORT --management.server.port=$MGMT_PORT \
   --spindle.tcp.port=$RESP_PORT --spindle.tcp.max-connections=$((IDLE + 1000)) \
   --spindle.pool.max-queued=100000000 \
   --resilience4j.ratelimiter.configs.intake.limit-for-period=100000000 > "$WORK/spindle.log" 2>&1) &
SPINDLE_PID=$!
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$MGMT_PORT/actuator/health/readiness" >/dev/null 2>&1 \
     && redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fs "http://127.0.0.1:$MGMT_PORT/actuator/health/readiness" >/dev/null || { tail -50 "$WORK/spindle.log" >&2; exit 1; }
SPINDLE_PID=$(pgrep -f -- "--spindle.tcp.port=$RESP_PORT" | head -1)
log "spindle pid $SPINDLE_PID, redis pid $REDIS_PID"

# --- idle connections (first, on a fresh JVM: later load would have grown the heap already) ----
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# Java heap in use after a full GC (KB), or 0 for a process that is not a JVM
heap_kb() {
  "$JDK/bin/jcmd" "$1" GC.run >/dev/null 2>&1 || { echo 0; return; }
  "$JDK/bin/jcmd" "$1" GC.heap_info 2>/dev/null | awk '/total/ && /used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K,?/, "", v); print v; exit}}'
}
"$JDK/bin/javac" -d "$WORK" "$HERE/IdleClients.java"
idle_growth() { # pid port -> KB of RSS growth per connection
  local pid=$1 port=$2 before after heap0 heap1
  heap0=$(heap_kb "$pid"); before=$(rss_kb "$pid")
  "$JAVA" -Xss256k -cp "$WORK" IdleClients 127.0.0.1 "$port" "$IDLE" > "$WORK/idle.out" 2>&1 &
  IDLE_PID=$!
  for _ in $(seq 1 120); do grep -q ready "$WORK/idle.out" 2>/dev/null && break; sleep 0.5; done
  grep -q ready "$WORK/idle.out" || { cat "$WORK/idle.out" >&2; echo "?"; return; }
  sleep 2  # let the server finish registering the last connections before reading its RSS
  heap1=$(heap_kb "$pid"); after=$(rss_kb "$pid")
  kill "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null || true; IDLE_PID=""
  awk -v a="$after" -v b="$before" -v n="$IDLE" -v h0="${heap0:-0}" -v h1="${heap1:-0}" 'BEGIN {
    printf "%.1f KB (RSS %d MB -> %d MB", (a - b) / n, b / 1024, a / 1024
    if (h1 > 0) printf "; live heap +%.1f KB per connection", (h1 - h0) / n
    printf ")" }'
}
log "$IDLE idle connections to Spindle"
SPINDLE_IDLE=$(idle_growth "$SPINDLE_PID" $RESP_PORT)
log "$IDLE idle connections to redis-server"
REDIS_IDLE=$(idle_growth "$REDIS_PID" $REDIS_PORT)


# rps of one redis-benchmark run: bench <port> <args...> -> "<test> <rps>" lines
bench() {
  local port=$1; shift
  # CSV: "test","rps", then six latency columns; a custom command's name holds commas and quotes,
  # so the rps is taken counting from the end
  redis-benchmark -h 127.0.0.1 -p "$port" --csv "$@" 2>/dev/null \
    | awk -F',' 'NR > 1 {name = $1; gsub(/"/, "", name); rps = $(NF - 6); gsub(/"/, "", rps); print rps, name}'
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

log "warming up Spindle's JIT"
bench $RESP_PORT -t ping -c 32 -n "$REQUESTS" >/dev/null
bench $RESP_PORT -t ping -c 32 -n "$REQUESTS" -P 16 >/dev/null
bench $RESP_PORT -c 32 -n 20000 SUBMIT '{"type":"noop","delay":"PT24H"}' >/dev/null

declare -A R
for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  for target in redis spindle; do
    port=$REDIS_PORT; [[ $target == spindle ]] && port=$RESP_PORT
    while read -r rps test; do R[$target.$test.c32]+="$rps "; done < <(bench "$port" -t ping -c 32 -n "$REQUESTS")
    while read -r rps test; do R[$target.$test.p16]+="$rps "; done < <(bench "$port" -t ping -c 32 -n $((REQUESTS * 5)) -P 16)
  done
  # each pair adjacent (LPUSH, SUBMIT at 32 connections, then SUBMIT, LPUSH at -P 16)
  while read -r rps _; do R[redis.LPUSH.c32]+="$rps "; done < <(bench $REDIS_PORT -t lpush -c 32 -n 100000)
  while read -r rps _; do R[spindle.SUBMIT.c32]+="$rps "; done < <(bench $RESP_PORT -c 32 -n 20000 SUBMIT '{"type":"noop","delay":"PT24H"}')
  while read -r rps _; do R[spindle.SUBMIT.p16]+="$rps "; done < <(bench $RESP_PORT -c 32 -n 50000 -P 16 SUBMIT '{"type":"noop","delay":"PT24H"}')
  while read -r rps _; do R[redis.LPUSH.p16]+="$rps "; done < <(bench $REDIS_PORT -t lpush -c 32 -n 500000 -P 16)
done
m() { tr ' ' '\n' <<< "${R[$1]:-}" | grep -v '^$' | median; }
runs() { echo "${R[$1]:-}" | tr -s ' ' | sed 's/ $//' | tr ' ' '/'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", 100 * a / b}'; }

# --- report ------------------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$ROOT/bench/results/tcp-$STAMP.md"
mkdir -p "$(dirname "$OUT")"
{
  echo "### RESP listener benchmarks, $STAMP"
  echo
  echo "Machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), $(redis-server --version | awk '{print $3}'); jar $(basename "$JAR") ($(date -u -r "$JAR" +%FT%TZ)); medians of $RUNS runs (runs: Spindle / redis-server); load before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| scenario | Spindle rps | redis-server rps | Spindle / redis | target | result |"
  echo "|---|---|---|---|---|---|"
  for t in PING_INLINE PING_MBULK; do
    s=$(m spindle.$t.c32); r=$(m redis.$t.c32); p=$(pct "$s" "$r")
    echo "| $t, 32 connections ($(runs spindle.$t.c32) / $(runs redis.$t.c32)) | $s | $r | $p % | ≥ 80 % | $( (( p >= 80 )) && echo met || echo '**missed**') |"
  done
  for t in PING_INLINE PING_MBULK; do
    s=$(m spindle.$t.p16); r=$(m redis.$t.p16); p=$(pct "$s" "$r")
    echo "| $t, 32 connections, -P 16 ($(runs spindle.$t.p16) / $(runs redis.$t.p16)) | $s | $r | $p % | ≥ 40 % | $( (( p >= 40 )) && echo met || echo '**missed**') |"
  done
  s=$(m spindle.SUBMIT.c32); r=$(m redis.LPUSH.c32); p=$(pct "$s" "$r")
  echo "| **SUBMIT noop (durable, delayed a day), 32 connections, not pipelined, vs. redis LPUSH** ($(runs spindle.SUBMIT.c32) / $(runs redis.LPUSH.c32)) | $s | $r | $p % | ≥ 50 % | $( (( p >= 50 )) && echo met || echo '**missed**') |"
  s=$(m spindle.SUBMIT.p16); r=$(m redis.LPUSH.p16)
  echo "| SUBMIT noop, 32 connections, -P 16 vs. redis LPUSH ($(runs spindle.SUBMIT.p16) / $(runs redis.LPUSH.p16)) | $s | $r | $(pct "$s" "$r") % | report | — |"
  echo "| $IDLE idle connections: RSS growth per connection | $SPINDLE_IDLE | $REDIS_IDLE | — | ≤ 16 KB | $(awk -v v="${SPINDLE_IDLE%% *}" 'BEGIN {print (v <= 16) ? "met" : "**missed**"}') |"
} | tee "$OUT"
log "written to $OUT"
