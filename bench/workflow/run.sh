#!/usr/bin/env bash
# Workflow benchmarks (issue 14), about 2 minutes per store:
#
#   bench/workflow/run.sh
#
# For each store in BENCH_STORES, starts the jar as its own JVM with a fresh database and, in this
# order, each BENCH_RUNS times:
#   plain   the reference: 10,000 noop jobs submitted in 10 batches of 1,000 (POST /api/v1/jobs/batch);
#           time from the first submit until none is QUEUED or RUNNING (polled every 10 ms)
#   fanout  one workflow: a fanout step adding 10,000 noop children, and a collect step joining
#           them; time from the submit until GET ?wait answers with the workflow ended
#           (target: at most 1.3x plain)
#   chain   100 workflows of a 100-step chain of noop steps (10,000 jobs, 9,900 steps released by
#           the end of their dependency), submitted 8 at a time; time until the last one has ended.
#           (chain - plain) / 9,900 is the cost of one released step
# Prints a markdown block and writes it to bench/results/workflow-<UTC time>.md (or $BENCH_OUT).
#
# Environment (all optional): BENCH_JAVA_HOME (JDK 25), SPINDLE_JAR (default target/spindle-*.jar,
# built if missing), BENCH_STORES ("sqlite postgres"; postgres is skipped when psql cannot reach
# 127.0.0.1:5432 as postgres), BENCH_RUNS (default 3), BENCH_PORT (default 18090; management +1),
# BENCH_SERVICE_ARGS (extra service arguments), BENCH_OUT.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JDK=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JDK/bin/java"
STORES=${BENCH_STORES:-sqlite postgres}
RUNS=${BENCH_RUNS:-3}
PORT=${BENCH_PORT:-18090}
MPORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/bench/results/workflow-$STAMP.md}

log() { printf '[workflow %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
JAR=${SPINDLE_JAR:-$(ls "$ROOT"/target/spindle-*.jar 2>/dev/null | head -1 || true)}
if [[ -z "$JAR" ]]; then
  log "building the jar"
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -q -B package -DskipTests)
  JAR=$(ls "$ROOT"/target/spindle-*.jar | head -1)
fi

WORK=$(mktemp -d /tmp/spindle-workflow-bench.XXXXXX)
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
      --spindle.tcp.port=0 --spindle.pool.max-queued=1000000 "$@" ${BENCH_SERVICE_ARGS:-} > "$dir/service.log" 2>&1) &
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

# waits until no job is QUEUED, RUNNING or WAITING
drained() {
  local state
  while true; do
    local busy=0
    for state in QUEUED RUNNING WAITING; do
      if [[ $(curl -sf "$BASE/api/v1/jobs?state=$state&limit=1" | jq '.items | length') != 0 ]]; then busy=1; break; fi
    done
    (( busy == 0 )) && return
    sleep 0.01
  done
}

plain() {
  local batch t0
  batch=$(jq -nc '{jobs: [range(1000) | {type: "noop"}]}')
  t0=$(now_ms)
  for _ in $(seq 10); do
    curl -sf -o /dev/null -X POST "$BASE/api/v1/jobs/batch" -H 'Content-Type: application/json' -d "$batch"
  done
  drained
  echo $(( $(now_ms) - t0 ))
}

fanout() {
  local id t0 done
  t0=$(now_ms)
  id=$(curl -sf -X POST "$BASE/api/v1/workflows" -H 'Content-Type: application/json' -d '{"steps": [
      {"id": "split", "type": "fanout", "payload": {"type": "noop", "count": 10000}},
      {"id": "join", "type": "collect", "payload": {"of": "split"}, "dependsOn": ["split"]}]}' | jq -r .id)
  while true; do
    done=$(curl -sf "$BASE/api/v1/workflows/$id?wait=PT30S")
    [[ $(jq -r '.finishedAt // empty' <<< "$done") != "" ]] && break
  done
  local elapsed=$(( $(now_ms) - t0 ))
  if [[ $(jq -r '.state + " " + (.results.join.succeeded | tostring)' <<< "$done") != "SUCCEEDED 10000" ]]; then
    echo "bench: the fan-out did not end as it should: $(jq -c '{state, counts, results}' <<< "$done")" >&2; exit 1
  fi
  echo "$elapsed"
}

chain() {
  local body t0
  body=$(jq -nc '{steps: [range(100) as $i | {id: "s\($i)", type: "noop"}
                          + (if $i > 0 then {dependsOn: ["s\($i - 1)"]} else {} end)]}')
  t0=$(now_ms)
  seq 100 | xargs -P 8 -I{} curl -sf -o /dev/null -X POST "$BASE/api/v1/workflows" \
      -H 'Content-Type: application/json' -d "$body"
  drained
  echo $(( $(now_ms) - t0 ))
}

median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

if [[ " $STORES " == *" postgres "* ]] && ! psql -q -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
  log "PostgreSQL is not reachable on 127.0.0.1:5432 as postgres; skipping it"
  STORES=${STORES//postgres/}
fi

REPORT="### Workflows: fan-out and chains vs. a plain batch — $(date -u +%Y-%m-%d)

- machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1); jar $(basename "$JAR") ($(sha256sum "$JAR" | cut -c1-12)); $RUNS runs, medians

| store | plain 10,000 noop (ms) | fan-out 10,000 + join (ms) | fan-out / plain | 100 chains of 100 (ms) | cost per released step (µs) |
|---|---:|---:|---:|---:|---:|
"
for store in $STORES; do
  dir="$WORK/$store"
  case $store in
    sqlite) start_service "$dir" ;;
    postgres)
      PG_DB="spindle_workflow_bench_$$"
      psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB" >/dev/null
      start_service "$dir" "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/$PG_DB" \
          --spring.datasource.username=postgres --spring.datasource.password= ;;
    *) echo "bench: unknown store $store" >&2; exit 1 ;;
  esac
  log "$store: warm-up"
  plain > /dev/null
  fanout > /dev/null
  P=() F=() C=()
  for run in $(seq "$RUNS"); do
    P+=("$(plain)"); F+=("$(fanout)"); C+=("$(chain)")
    log "$store run $run: plain ${P[-1]} ms, fan-out ${F[-1]} ms, chains ${C[-1]} ms"
  done
  stop_service
  if [[ -n "$PG_DB" ]]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null; PG_DB=""; fi
  p=$(echo "${P[*]}" | median); f=$(echo "${F[*]}" | median); c=$(echo "${C[*]}" | median)
  REPORT+="| $store | $p (${P[*]}) | $f (${F[*]}) | $(awk -v f="$f" -v p="$p" 'BEGIN {printf "%.2f", f / p}') | $c (${C[*]}) | $(awk -v c="$c" -v p="$p" 'BEGIN {printf "%.0f", (c - p) * 1000 / 9900}') |
"
done
mkdir -p "$(dirname "$OUT")"
printf '%s' "$REPORT" | tee "$OUT"
log "written to $OUT"
