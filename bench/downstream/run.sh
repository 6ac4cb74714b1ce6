#!/usr/bin/env bash
# Issue 4, benchmark 2: throughput of http jobs, see docs/benchmarks.md, "Downstream calls (issue 4)".
# About 4 minutes on a quiet machine with the defaults (SQLite and PostgreSQL, 3 runs each).
#
#   bench/downstream/run.sh
#
# 1. Starts a stub downstream (bench/downstream/DelayStub.java: the JDK's HttpServer on virtual
#    threads, every answer after 100 ms) as its own JVM.
# 2. Baseline: wrk -t2 -c1000 -d10s against the stub alone, BENCH_RUNS times. With 1,000
#    connections and 100 ms per answer, Little's law gives at most 10,000 requests/s; wrk shows what
#    the stub and the loopback really carry on this machine.
# 3. For each store in BENCH_STORES and each of BENCH_RUNS runs: starts the jar as its own JVM with a
#    fresh database, concurrency 1000, the downstream 'stub' with 1000 connections, its bulkhead at
#    1000 and no in-call retry; then bench/downstream/DownstreamBench.java submits BENCH_JOBS http
#    jobs with one shared runAt, samples CPU (and run-queue waits) from /proc and the stub's in-flight
#    count, reads every job back
#    and computes the completion rate in the steady window (10th to 90th percentile of finishedAt).
# 4. Prints a markdown report (median run per store) and writes it to bench/results/downstream-<UTC>.md.
#
# Environment (all optional):
#   BENCH_JAVA_HOME   JDK 25+ (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   SPINDLE_JAR       benchmark this jar instead of target/spindle-*.jar
#   BENCH_REV         build this commit (e.g. HEAD) from a clean `git archive` export and benchmark it
#   BENCH_STORES      "sqlite postgres" (default; sqlite is the embedded default under the run's ./data; postgres is skipped when psql cannot reach 127.0.0.1:5432)
#   BENCH_RUNS        runs per store, and wrk baselines (default 3)
#   BENCH_JOBS        measured jobs per run (default 30000); BENCH_WARMUP jobs before them (default 10000)
#   BENCH_DELAY_MS    the stub's answer delay (default 100)
#   BENCH_CONCURRENCY pool concurrency = connections = bulkhead = wrk connections (default 1000)
#   BENCH_SERVICE_ARGS  extra arguments for the service
#   BENCH_JFR=1       record JFR in every service (profile settings, plus method timing of the store's
#                     claim and complete and the http handler's call), kept with the working directory
#   BENCH_KEEP=1      keep the working directory (service, stub and GC logs, JFR)
#   BENCH_MAX_OTHER   repeat a run during whose steady window other processes used more than this many
#                     cores (default 0.10), at most BENCH_RETRIES times (default 2); the least disturbed is kept
#   BENCH_QUIET_WAIT  before each measurement wait up to this many seconds (default 300) until the
#                     1-minute load average is below 1.0 or the CPU is at least 90 % idle for a second
#   BENCH_OUT         results file
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STORES=${BENCH_STORES:-sqlite postgres}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_JOBS:-30000}
WARMUP=${BENCH_WARMUP:-10000}
DELAY_MS=${BENCH_DELAY_MS:-100}
CONC=${BENCH_CONCURRENCY:-1000}

log() { printf '[downstream %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

WORK=$(mktemp -d /tmp/spindle-downstream.XXXXXX)
STUB_PID=""
SVC_PID=""
PG_DB=""
cleanup() {
  stop_pid "$SVC_PID"
  stop_pid "$STUB_PID"
  if [[ -n "$PG_DB" ]]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  if [[ "${BENCH_KEEP:-0}" == 1 || -n "${BENCH_JFR:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=common.sh
source "$HERE/common.sh"

# stop_pid PID: SIGTERM, up to 30 s, then SIGKILL (only the processes this script started)
stop_pid() {
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not stop in 30 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

# free_port: a port nothing listens on, picked at random from 20000-49999
free_port() {
  local p
  while true; do
    p=$((20000 + RANDOM % 30000))
    [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && { echo "$p"; return; }
  done
}

command -v wrk >/dev/null || {
  if [[ $(id -u) == 0 ]]; then log "installing wrk"; (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >&2
  else echo "bench: wrk is needed (apt-get install -y wrk)" >&2; exit 1; fi
}
if (( $(ulimit -n) < 4 * CONC )); then ulimit -n $((4 * CONC)) 2>/dev/null || log "WARNING: ulimit -n is $(ulimit -n), below 4 x $CONC"; fi
HZ=$(getconf CLK_TCK)

resolve_jar
log "compiling the stub and the client"
mkdir -p "$WORK/classes"
"$JDK/bin/javac" -d "$WORK/classes" "$ROOT/bench/SpindleBench.java" "$HERE/DownstreamBench.java" "$HERE/DelayStub.java"

RES="$WORK/results.env"
: > "$RES"
record() { tee -a "$RES" >&2; }
v() { local line; line=$(grep -m1 "^$1=" "$RES" || true); echo "${line#*=}"; }
ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_busy() { head -1 /proc/stat | awk '{ print $2 + $3 + $4 + $7 + $8 + $9 }'; }

# --- the stub -------------------------------------------------------------------------------------
STUB_PORT=$(free_port)
STUB="http://127.0.0.1:$STUB_PORT"
"$JAVA" -Xmx512m -cp "$WORK/classes" DelayStub --port "$STUB_PORT" --delay-ms "$DELAY_MS" > "$WORK/stub.log" 2>&1 &
STUB_PID=$!
for _ in $(seq 1 100); do grep -q STUB_READY "$WORK/stub.log" && break; sleep 0.1; done
grep -q STUB_READY "$WORK/stub.log" || { cat "$WORK/stub.log" >&2; exit 1; }
log "stub up on $STUB (pid $STUB_PID), answers after $DELAY_MS ms"

# --- baseline: the stub alone under wrk -c$CONC ---------------------------------------------------
log "baseline warm-up: wrk -t2 -c$CONC -d5s"
wrk -t2 -c"$CONC" -d5s "$STUB/work" > /dev/null
for run in $(seq 1 "$RUNS"); do
  wait_quiet
  curl -sf -X POST "$STUB/__reset" > /dev/null
  s0=$(ticks "$STUB_PID"); m0=$(machine_busy); t0=$(date +%s.%N)
  out=$(wrk -t2 -c"$CONC" -d10s --latency "$STUB/work")
  s1=$(ticks "$STUB_PID"); m1=$(machine_busy); t1=$(date +%s.%N)
  stats=$(curl -sf "$STUB/__stats")
  {
    echo "BASE${run}_RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<< "$out")"
    echo "BASE${run}_P50=$(awk '$1 == "50%" { print $2 }' <<< "$out")"
    echo "BASE${run}_P99=$(awk '$1 == "99%" { print $2 }' <<< "$out")"
    echo "BASE${run}_ERRORS=$(awk '/Socket errors|Non-2xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' <<< "$out")"
    echo "BASE${run}_MAX_IN_FLIGHT=$(sed 's/.*"maxInFlight":\([0-9]*\).*/\1/' <<< "$stats")"
    echo "BASE${run}_STUB_CORES=$(awk -v a="$s0" -v b="$s1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')"
    echo "BASE${run}_MACHINE_CORES=$(awk -v a="$m0" -v b="$m1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')"
    echo "BASE${run}_QUIET=$QUIET_SEEN"
  } | record
done

# --- Spindle --------------------------------------------------------------------------------------
PORT=$(free_port); MPORT=$(free_port)
BASE="http://127.0.0.1:$PORT"

JFR_TIMED="dev.spindle.store.JdbcJobStore::claim;dev.spindle.store.JdbcJobStore::claimNext;dev.spindle.store.JdbcJobStore::complete;dev.spindle.downstream.HttpJobHandler::handle;dev.spindle.downstream.Downstream::send"

# start_service DIR [spring args...]
start_service() {
  local dir=$1 jvm=""
  shift
  mkdir -p "$dir"
  # JFR: the profile settings, and JDK 25's method timing (JEP 520) of the store's claim and complete
  # calls and of the http job's handler and request, over the service's life (warm-up included)
  if [[ -n "${BENCH_JFR:-}" ]]; then
    jvm="-XX:StartFlightRecording=filename=$dir/service.jfr,settings=profile,method-timing=$JFR_TIMED"
  fi
  # shellcheck disable=SC2086
  (cd "$dir" && exec "$JAVA" $jvm "-Xlog:gc:file=$dir/gc.log" -jar "$JAR" \
      --server.port="$PORT" --management.server.port="$MPORT" --spindle.tcp.port=0 \
      --spindle.pool.concurrency="$CONC" \
      --spindle.downstreams.stub.base-url="$STUB" \
      --spindle.downstreams.stub.max-connections="$CONC" \
      --resilience4j.bulkhead.instances.stub.max-concurrent-calls="$CONC" \
      --resilience4j.retry.instances.stub.max-attempts=1 \
      "$@" ${BENCH_SERVICE_ARGS:-} > "$dir/service.log" 2>&1) &
  SVC_PID=$!
  local t0=$SECONDS
  until curl -sf "http://127.0.0.1:$MPORT/actuator/health" 2>/dev/null | grep -q '"status":"UP"' \
      && ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$SVC_PID,"; do
    if ! kill -0 "$SVC_PID" 2>/dev/null; then
      echo "bench: the service died at start; last lines of its log:" >&2; tail -n 40 "$dir/service.log" >&2; SVC_PID=""; exit 1
    fi
    if (( SECONDS - t0 > 120 )); then echo "bench: the service is not healthy after 120 s" >&2; exit 1; fi
    sleep 0.2
  done
  log "service up (pid $SVC_PID) after $((SECONDS - t0)) s: $*"
}

if [[ " $STORES " == *" postgres "* ]] && ! psql -q -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
  log "PostgreSQL is not reachable on 127.0.0.1:5432 as postgres; skipping it"
  STORES=${STORES//postgres/}
fi

# one_run STORE DIR: a service with a fresh database and one client run; its figures (DS_*) go to
# $WORK/attempt.env
one_run() {
  local store=$1 dir=$2
  case $store in
    sqlite) start_service "$dir" ;;
    postgres)
      PG_DB="spindle_downstream_$$_${dir##*/}"
      PG_DB=${PG_DB//[^a-z0-9_]/_}
      psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB" >/dev/null
      start_service "$dir" "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/$PG_DB" \
        --spring.datasource.username=postgres --spring.datasource.password= ;;
    *) echo "bench: unknown store $store" >&2; exit 1 ;;
  esac
  wait_quiet
  echo "DS_QUIET=$QUIET_SEEN" > "$WORK/attempt.env"
  "$JAVA" -cp "$WORK/classes" DownstreamBench --base "$BASE" --stub "$STUB" --jobs "$JOBS" --warmup "$WARMUP" \
      --pids "spindle=$SVC_PID,stub=$STUB_PID" $([[ $store == postgres ]] && echo "--pg-db $PG_DB") \
      --hz "$HZ" >> "$WORK/attempt.env"
  stop_pid "$SVC_PID"; SVC_PID=""
  if [[ -n "${BENCH_JFR:-}" ]]; then
    "$JDK/bin/jfr" view --width 200 method-timing "$dir/service.jfr" > "$dir/method-timing.txt" 2>&1 || true
    log "JFR: $dir/service.jfr; method timing:"; cat "$dir/method-timing.txt" >&2
  fi
  echo "DS_GC_PAUSES=$(grep -c 'Pause' "$dir/gc.log" || true)" >> "$WORK/attempt.env"
  echo "DS_GC_PAUSE_MS=$(grep -o 'Pause.* \([0-9.]*\)ms' "$dir/gc.log" | awk '{ gsub(/ms/, "", $NF); s += $NF } END { printf "%.0f", s }')" >> "$WORK/attempt.env"
  if [[ $store == postgres ]]; then
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null; PG_DB=""
  fi
}

# A run during whose steady window other processes used more than BENCH_MAX_OTHER cores (default
# 0.10, 5 % of this machine) is repeated, at most BENCH_RETRIES times (default 2); the least
# disturbed attempt is kept.
MAX_OTHER=${BENCH_MAX_OTHER:-0.10}
RETRIES=${BENCH_RETRIES:-2}
for store in $STORES; do
  for run in $(seq 1 "$RUNS"); do
    prefix="${store^^}${run}"
    best_other=999
    for attempt in $(seq 1 $((RETRIES + 1))); do
      one_run "$store" "$WORK/$store-$run-$attempt"
      other=$(sed -n 's/^DS_CPU_OTHERS_CORES=//p' "$WORK/attempt.env"); other=${other:-0}
      if awk -v a="$other" -v b="$best_other" 'BEGIN { exit !(a < b) }'; then
        cp "$WORK/attempt.env" "$WORK/best.env"; best_other=$other
      fi
      if awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }'; then break; fi
      log "$store run $run: other processes used $other cores in the steady window (more than $MAX_OTHER)"
    done
    { cat "$WORK/best.env"; echo "DS_ATTEMPTS=$attempt"; } | sed "s/^DS_/${prefix}_/" | record
  done
done

# --- report ---------------------------------------------------------------------------------------
# median KEY_SUFFIX PREFIXES...: the median of the figures ${prefix}_${suffix}
median() {
  local key=$1 p; shift
  for p in "$@"; do v "${p}_$key"; done | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
# the run whose steady rate is the median one, for its detailed figures
median_run() {
  local store=$1 p
  for p in $(seq 1 "$RUNS"); do echo "$(v "${store^^}${p}_STEADY_RATE") ${store^^}${p}"; done | sort -g | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.1f", 100 * a / b }'; }
bases=(); for r in $(seq 1 "$RUNS"); do bases+=("BASE$r"); done
BASE_RPS=$(median RPS "${bases[@]}")

REPORT=$(
  echo "### http jobs against a ${DELAY_MS} ms stub — $(date -u +%Y-%m-%d)"
  echo
  echo "- machine: $(machine_line)"
  echo "- jar sha256 $JAR_SHA ($JAR_NOTE); concurrency $CONC, $CONC connections, bulkhead $CONC, retry max-attempts 1"
  echo "- $JOBS measured jobs per run after $WARMUP warm-up jobs; median of $RUNS runs; steady window = 10th to 90th percentile of finishedAt"
  echo
  echo "Baseline, the stub alone: wrk -t2 -c$CONC -d10s"
  echo
  echo "| run | requests/s | p50 | p99 | max in flight at the stub | stub CPU (cores) | machine CPU (cores) | errors | machine before |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
  for r in $(seq 1 "$RUNS"); do
    echo "| $r | $(v BASE${r}_RPS) | $(v BASE${r}_P50) | $(v BASE${r}_P99) | $(v BASE${r}_MAX_IN_FLIGHT) | $(v BASE${r}_STUB_CORES) | $(v BASE${r}_MACHINE_CORES) | $(v BASE${r}_ERRORS) | $(v BASE${r}_QUIET) |"
  done
  echo
  echo "Median: **$BASE_RPS requests/s** ($(pct "$BASE_RPS" $((CONC * 1000 / DELAY_MS))) % of the ideal $((CONC * 1000 / DELAY_MS)))."
  for store in $STORES; do
    runs=(); for r in $(seq 1 "$RUNS"); do runs+=("${store^^}$r"); done
    rate=$(median STEADY_RATE "${runs[@]}")
    m=$(median_run "$store")
    echo
    echo "#### $store"
    echo
    echo "| figure | median | runs |"
    echo "|---|---:|---|"
    row() { local label=$1 key=$2 r all=""; for r in "${runs[@]}"; do all="$all${all:+, }$(v "${r}_$key")"; done; echo "| $label | $(median "$key" "${runs[@]}") | $all |"; }
    row "completions/s, steady window" STEADY_RATE
    echo "| % of the ideal $((CONC * 1000 / DELAY_MS))/s | $(pct "$rate" $((CONC * 1000 / DELAY_MS))) | |"
    echo "| % of the stub's measured capacity ($BASE_RPS/s) | $(pct "$rate" "$BASE_RPS") | |"
    row "completions/s, runAt → last finishedAt" OVERALL_RATE
    row "max calls in flight at the stub (≤ $CONC)" STUB_MAX_IN_FLIGHT
    row "average calls in flight at the stub, steady window" STUB_AVG_IN_FLIGHT
    row "average jobs between startedAt and finishedAt, steady window" POOL_AVG_STARTED_NOT_FINISHED
    row "finishedAt − startedAt p50 (ms)" RUN_P50_MS
    row "finishedAt − startedAt p99 (ms)" RUN_P99_MS
    row "first startedAt after runAt (ms)" FIRST_START_MS
    row "requests the stub saw (= jobs)" STUB_REQUESTS
    row "submit rate, batches of 1000 (jobs/s)" SUBMIT_RATE
    row "GC pauses over the service's life (count)" GC_PAUSES
    row "GC pause time over the service's life (ms)" GC_PAUSE_MS
    row "other processes' CPU in the steady window (cores)" CPU_OTHERS_CORES
    row "attempts (a disturbed run is repeated)" ATTEMPTS
    echo
    echo "Job states: $(for r in "${runs[@]}"; do printf '%s ' "$(v "${r}_STATES")"; done). Machine before each run: $(for r in "${runs[@]}"; do printf '%s; ' "$(v "${r}_QUIET")"; done)"
    echo
    echo "CPU in the steady window of the median run ($m, $(v "${m}_CPU_WINDOW_S") s), in cores of $(nproc):"
    echo
    echo "| machine busy | Spindle JVM | stub JVM | client | PostgreSQL: our backends | PostgreSQL: its own processes | others | idle |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    echo "| $(v "${m}_CPU_MACHINE_CORES") | $(v "${m}_CPU_SPINDLE_CORES") | $(v "${m}_CPU_STUB_CORES") | $(v "${m}_CPU_CLIENT_CORES") | $(v "${m}_CPU_POSTGRES_CORES") | $(v "${m}_CPU_POSTGRES_BG_CORES") | $(v "${m}_CPU_OTHERS_CORES") | $(v "${m}_CPU_MACHINE_IDLE_CORES") |"
    echo
    echo "CPU time per completed job: Spindle $(v "${m}_CPU_SPINDLE_US_PER_JOB") µs, stub $(v "${m}_CPU_STUB_US_PER_JOB") µs$([[ $store == postgres ]] && echo ", PostgreSQL $(v "${m}_CPU_POSTGRES_US_PER_JOB") µs")."
    echo
    echo "| Spindle's threads | carriers (virtual threads: handlers, HTTP client, REST) | dispatcher (claims) | completion writer | GC | JIT compilers | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    echo "| CPU (cores) | $(v "${m}_SPINDLE_THREADS_CARRIERS_CORES") | $(v "${m}_SPINDLE_THREADS_DISPATCHER_CORES") | $(v "${m}_SPINDLE_THREADS_COMPLETION_WRITER_CORES") | $(v "${m}_SPINDLE_THREADS_GC_CORES") | $(v "${m}_SPINDLE_THREADS_JIT_CORES") | $(v "${m}_SPINDLE_THREADS_OTHER_CORES") |"
    echo "| waiting for a CPU (threads on average, schedstat) | $(v "${m}_SPINDLE_THREADS_CARRIERS_RUNQ") | $(v "${m}_SPINDLE_THREADS_DISPATCHER_RUNQ") | $(v "${m}_SPINDLE_THREADS_COMPLETION_WRITER_RUNQ") | $(v "${m}_SPINDLE_THREADS_GC_RUNQ") | $(v "${m}_SPINDLE_THREADS_JIT_RUNQ") | $(v "${m}_SPINDLE_THREADS_OTHER_RUNQ") |"
    echo
    echo "Threads ready to run but waiting for a CPU, on average: Spindle $(v "${m}_RUNQ_SPINDLE_THREADS"), stub $(v "${m}_RUNQ_STUB_THREADS"), client $(v "${m}_RUNQ_CLIENT_THREADS")$([[ $store == postgres ]] && echo ", PostgreSQL $(v "${m}_RUNQ_POSTGRES_THREADS")")."
  done
)
OUT=${BENCH_OUT:-$ROOT/bench/results/downstream-$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$OUT")"
{ echo "$REPORT"; echo; echo '<details><summary>raw figures</summary>'; echo; echo '```'; cat "$RES"; echo '```'; echo '</details>'; } > "$OUT"
echo "$REPORT"
log "results written to $OUT"
