#!/usr/bin/env bash
# Queue benchmarks (issue 15): the cost of per-key limits and fair turns on the claim, about
# 3 minutes per store:
#
#   bench/queues/run.sh
#
# For each store in BENCH_STORES, starts the jar as its own JVM with a fresh database and the pool
# at 128 slots, and drains BENCH_JOBS noop jobs (default 50,000) spread over 100 concurrency keys,
# BENCH_RUNS times each way, in this order:
#   plain     the same number of jobs with no key, in the default queue (for reference)
#   keys      the jobs over 100 keys in a queue with no limits: fair turns only
#   limited   the jobs over 100 keys in a queue with max-running-per-key: 1 (at most 100 running of
#             the pool's 128 slots: the limit binds, every claim counts the running jobs and locks
#             the queue's row on PostgreSQL)
# Each drain: the queue is paused, the jobs are submitted (batches of 1,000), the queue is resumed;
# the time from the resume until none is QUEUED or RUNNING (polled every 10 ms) gives jobs/s.
# Target: limited >= 70 % of keys, on both stores.
# Prints a markdown block and writes it to bench/results/queues-<UTC time>.md (or $BENCH_OUT).
#
# Environment (all optional): BENCH_JAVA_HOME (JDK 25), SPINDLE_JAR (default target/spindle-*.jar,
# built if missing), BENCH_STORES ("sqlite postgres"; postgres is skipped when psql cannot reach
# 127.0.0.1:5432 as postgres), BENCH_RUNS (default 3), BENCH_JOBS (default 50000), BENCH_PORT
# (default 18090; management +1), BENCH_SERVICE_ARGS (extra service arguments), BENCH_OUT.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JDK=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JDK/bin/java"
STORES=${BENCH_STORES:-sqlite postgres}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_JOBS:-50000}
PORT=${BENCH_PORT:-18090}
MPORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/bench/results/queues-$STAMP.md}

log() { printf '[queues %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
JAR=${SPINDLE_JAR:-$(ls "$ROOT"/target/spindle-*.jar 2>/dev/null | head -1 || true)}
if [[ -z "$JAR" ]]; then
  log "building the jar"
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -q -B package -DskipTests)
  JAR=$(ls "$ROOT"/target/spindle-*.jar | head -1)
fi

WORK=$(mktemp -d /tmp/spindle-queues-bench.XXXXXX)
SVC_PID=""
PG_DB=""
cleanup() {
  if [[ -n "$SVC_PID" ]]; then kill "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; fi
  if [[ -n "$PG_DB" ]]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_service DIR [spring args...]
start_service() {
  local dir=$1
  shift
  mkdir -p "$dir"
  (cd "$dir" && exec "$JAVA" -jar "$JAR" --server.port="$PORT" --management.server.port="$MPORT" \
      --spindle.tcp.port=0 --spindle.pool.max-queued=1000000 --spindle.pool.concurrency=128 \
      --spindle.queues.limited.max-running-per-key=1 "$@" ${BENCH_SERVICE_ARGS:-} > "$dir/service.log" 2>&1) &
  SVC_PID=$!
  local t0=$SECONDS
  until curl -sf "http://127.0.0.1:$MPORT/actuator/health" 2>/dev/null | grep -q '"status":"UP"'; do
    if ! kill -0 "$SVC_PID" 2>/dev/null; then tail -n 30 "$dir/service.log" >&2; exit 1; fi
    if (( SECONDS - t0 > 120 )); then echo "bench: the service is not healthy after 120 s" >&2; exit 1; fi
    sleep 0.2
  done
}

stop_service() {
  kill "$SVC_PID" 2>/dev/null || true
  wait "$SVC_PID" 2>/dev/null || true
  SVC_PID=""
}

drained() {
  local state
  while true; do
    local busy=0
    for state in QUEUED RUNNING; do
      if [[ $(curl -sf "$BASE/api/v1/jobs?state=$state&limit=1" | jq '.items | length') != 0 ]]; then busy=1; break; fi
    done
    (( busy == 0 )) && return
    sleep 0.01
  done
}

# drain QUEUE KEYED: jobs/s of a drain of $JOBS noop jobs (over 100 keys when KEYED is 1)
drain() {
  local queue=$1 keyed=$2 batch t0 b
  curl -sf -o /dev/null -X POST "$BASE/api/v1/queues/$queue/pause"
  for b in $(seq 0 $(( JOBS / 1000 - 1 ))); do
    batch=$(jq -nc --arg q "$queue" --argjson keyed "$keyed" --argjson b "$b" \
        '{jobs: [range(1000) as $i | {type: "noop", queue: $q}
                 + (if $keyed == 1 then {concurrencyKey: "customer-\(($b * 1000 + $i) % 100)"} else {} end)]}')
    curl -sf -o /dev/null -X POST "$BASE/api/v1/jobs/batch" -H 'Content-Type: application/json' -d "$batch"
  done
  t0=$(now_ms)
  curl -sf -o /dev/null -X POST "$BASE/api/v1/queues/$queue/resume"
  drained
  local elapsed=$(( $(now_ms) - t0 ))
  echo $(( JOBS * 1000 / elapsed ))
}

median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

if [[ " $STORES " == *" postgres "* ]] && ! psql -q -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
  log "PostgreSQL is not reachable on 127.0.0.1:5432 as postgres; skipping it"
  STORES=${STORES//postgres/}
fi

REPORT="### Queues: drains with fair turns and a per-key limit — $(date -u +%Y-%m-%d)

- machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1); jar $(basename "$JAR") ($(sha256sum "$JAR" | cut -c1-12)); $JOBS noop jobs per drain, pool of 128; $RUNS runs, medians (jobs/s)

| store | plain (no keys) | 100 keys, no limit | 100 keys, max-running-per-key 1 | limited / no limit | target |
|---|---:|---:|---:|---:|---|
"
for store in $STORES; do
  dir="$WORK/$store"
  case $store in
    sqlite) start_service "$dir" ;;
    postgres)
      PG_DB="spindle_queues_bench_$$"
      psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB" >/dev/null
      start_service "$dir" "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/$PG_DB" \
          --spring.datasource.username=postgres --spring.datasource.password= ;;
    *) echo "bench: unknown store $store" >&2; exit 1 ;;
  esac
  log "$store: warm-up"
  drain keys 1 > /dev/null
  drain limited 1 > /dev/null
  P=() K=() L=()
  for run in $(seq "$RUNS"); do
    P+=("$(drain default 0)"); K+=("$(drain keys 1)"); L+=("$(drain limited 1)")
    log "$store run $run: plain ${P[-1]}, keys ${K[-1]}, limited ${L[-1]} jobs/s"
  done
  stop_service
  if [[ -n "$PG_DB" ]]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null; PG_DB=""; fi
  p=$(echo "${P[*]}" | median); k=$(echo "${K[*]}" | median); l=$(echo "${L[*]}" | median)
  ratio=$(awk -v l="$l" -v k="$k" 'BEGIN {printf "%.0f %%", l * 100 / k}')
  met=$(awk -v l="$l" -v k="$k" 'BEGIN {print (l >= 0.7 * k) ? "≥ 70 %: met" : "≥ 70 %: missed"}')
  REPORT+="| $store | $p (${P[*]}) | $k (${K[*]}) | $l (${L[*]}) | $ratio | $met |
"
done
mkdir -p "$(dirname "$OUT")"
printf '%s' "$REPORT" | tee "$OUT"
log "written to $OUT"
