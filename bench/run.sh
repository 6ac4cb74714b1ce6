#!/usr/bin/env bash
# Spindle benchmarks: one command, about 6 minutes on the quiet 2-core build machine (more when
# other processes take the CPU: disturbed measurements are repeated, see BENCH_MAX_OTHER).
#
#   bench/run.sh
#
# Builds the jar if there is none (./mvnw package -DskipTests), copies it to a temporary working
# directory, and for each group of scenarios starts the service there as its own JVM with a fresh
# embedded store (a fresh ./data), waits for health, runs the scenarios, and stops it. Prints a
# markdown results block and writes it to bench/results/<UTC time>.md (or $BENCH_OUT).
#
# Scenarios (see docs/benchmarks.md):
#   1. REST single submit throughput (wrk, POST /api/v1/jobs) vs. the constant GET /api/v1/job-types,
#      and vs. the REFERENCE ANCHOR in the same run: a bare Spring Boot MVC app (bench/baseline/, built
#      with ./mvnw -f bench/baseline/pom.xml if needed) that parses the same body and answers 202,
#      started beside the service on BENCH_BARE_PORT and measured with the same wrk script, threads,
#      connections and duration, in the order bare POST, Spindle POST, Spindle POST (delay P300D),
#      bare POST (delay P300D) so that each ratio compares adjacent runs (target: Spindle >= 80 % of
#      the bare app); the bare app's constant GET beside Spindle's
#   2. drain of 100,000 noop jobs submitted in batches of 1000 with one shared future runAt
#   3. 10,000 sleep-100ms jobs at concurrency 10000 in a 512 MB heap
#   4. enqueue -> start latency (startedAt - runAt): the jobs of 3, and a light paced run
#   5. (only when asked: BENCH_SCENARIOS=5) the cost of metrics: the drain of 2 with every meter on
#      (the default) against every meter off (management.metrics.enable.all=false), alternating
#      on/off and off/on over BENCH_METRICS_ROUNDS rounds (default 3), a fresh service each
#
# Environment (all optional):
#   BENCH_JAVA_HOME   JDK 25+ (default /usr/lib/jvm/temurin-25-jdk-amd64, else $JAVA_HOME)
#   BENCH_REV         build this commit (e.g. HEAD) from a clean `git archive` export and benchmark it,
#                     untouched by uncommitted edits in the work tree
#   SPINDLE_JAR       benchmark this jar instead of target/spindle-*.jar
#   BENCH_REBUILD=1   build target/'s jar even if there is one
#   BENCH_PORT        REST port (default 18080); the management port is BENCH_PORT+1
#   BENCH_DURATION    wrk measuring time in seconds (default 15)
#   BENCH_WRK_THREADS wrk threads for scenario 1 (default 2; MACHINE.md's bare-app figure used 1), 32
#                     connections either way
#   BENCH_BARE=0      scenario 1 without the bare Spring MVC anchor
#   BENCH_BARE_JAR    use this anchor jar instead of bench/baseline/target/bare-anchor.jar (built if missing)
#   BENCH_BARE_PORT   the anchor's port (default BENCH_PORT+2)
#   BENCH_SCENARIOS   which to run, e.g. "1 2" (default "1 2 3 4"; 4 runs with 2 and 3; 5 only when named)
#   BENCH_METRICS_ROUNDS  rounds of scenario 5 (default 3; each round drains once with and once without metrics)
#   BENCH_OUT         results file (default bench/results/<UTC time>.md)
#   BENCH_JFR=1       record JFR (profile settings) in every service (<work dir>/<service>/<service>.jfr); kept
#   BENCH_KEEP=1      keep the temporary working directory (logs, H2 files, GC logs)
#   BENCH_SERVICE_ARGS  extra arguments for every service start (e.g. "--spindle.tcp.port=0")
#   BENCH_MAX_OTHER   a measurement during which other processes took more than this share of the
#                     CPU (%, default 5) is repeated, see BENCH_RETRIES; the report shows the share
#   BENCH_RETRIES     repeats of a disturbed measurement (default 2); the least disturbed is kept
#   BENCH_QUIET_WAIT  before each measurement, wait up to this many seconds (default 60) for other
#                     processes to leave the CPU
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

# --- JDK ---------------------------------------------------------------------------------------
JDK=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ ! -x "$JDK/bin/java" ]]; then
  JDK=${JAVA_HOME:-}
fi
if [[ -z "$JDK" || ! -x "$JDK/bin/java" ]]; then
  echo "bench: no JDK 25 found; set BENCH_JAVA_HOME" >&2
  exit 1
fi
JAVA="$JDK/bin/java"
JAVA_MAJOR=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
if (( ${JAVA_MAJOR%%.*} < 25 )); then
  echo "bench: $JAVA is Java $JAVA_MAJOR; JDK 25 or later is needed (set BENCH_JAVA_HOME)" >&2
  exit 1
fi
export JAVA_HOME=$JDK

PORT=${BENCH_PORT:-18080}
MPORT=$((PORT + 1))
DURATION=${BENCH_DURATION:-15}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
SCENARIOS=" ${BENCH_SCENARIOS:-1 2 3 4} "
BASE="http://127.0.0.1:$PORT"
MGMT="http://127.0.0.1:$MPORT"
BARE_PORT=${BENCH_BARE_PORT:-$((PORT + 2))}
BARE_BASE="http://127.0.0.1:$BARE_PORT"

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
has() { [[ "$SCENARIOS" == *" $1 "* ]]; }
# the bare anchor runs with scenario 1 unless BENCH_BARE=0
bare_on() { has 1 && [[ "${BENCH_BARE:-1}" != 0 ]]; }

# --- tools -------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing wrk"
    (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >&2
  else
    echo "bench: wrk is needed (apt-get install -y wrk)" >&2
    exit 1
  fi
fi
command -v curl >/dev/null || { echo "bench: curl is needed" >&2; exit 1; }

for p in "$PORT" "$MPORT" $(bare_on && echo "$BARE_PORT"); do
  if [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
    echo "bench: port $p is in use; set BENCH_PORT (and BENCH_BARE_PORT) to free ports" >&2
    exit 1
  fi
done

# --- the jar -----------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/spindle-bench.XXXXXX)
SVC_PID=""
SVC_DIR=""
BARE_PID=""
cleanup() {
  if declare -F stop_service > /dev/null; then stop_service || true; fi
  if declare -F stop_bare > /dev/null; then stop_bare || true; fi
  if [[ "${BENCH_KEEP:-0}" == 1 || -n "${BENCH_JFR:-}" ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
JAR_SRC=${SPINDLE_JAR:-}
find_jar() { ls "$1"/target/spindle-*.jar 2>/dev/null | grep -v -- '-sources\|-javadoc\|\.original' | head -n1 || true; }
if [[ -n "${BENCH_REV:-}" ]]; then
  # a clean build of one commit, independent of the work tree (which may be being edited)
  REV=$(git -C "$ROOT" rev-parse --verify "${BENCH_REV}^{commit}")
  log "building commit ${REV:0:12} from a clean export (git archive) in $WORK/src"
  mkdir -p "$WORK/src"
  git -C "$ROOT" archive "$REV" | tar -x -C "$WORK/src"
  (cd "$WORK/src" && ./mvnw -q -B package -DskipTests) >&2
  JAR_SRC=$(find_jar "$WORK/src")
  GIT_REV="${REV:0:7} (clean build of BENCH_REV=$BENCH_REV)"
elif [[ -n "$JAR_SRC" ]]; then
  GIT_REV="not known (SPINDLE_JAR=$JAR_SRC)"
else
  JAR_SRC=$(find_jar "$ROOT")
  if [[ -z "$JAR_SRC" || "${BENCH_REBUILD:-0}" == 1 ]]; then
    log "building the jar (./mvnw package -DskipTests)"
    (cd "$ROOT" && ./mvnw -q -B package -DskipTests) >&2
    JAR_SRC=$(find_jar "$ROOT")
  fi
  GIT_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), work tree target/"
  if [[ -n $(git -C "$ROOT" status --porcelain -- src pom.xml 2>/dev/null) ]]; then GIT_REV="$GIT_REV (src has uncommitted changes)"; fi
fi
# a private copy: a concurrent rebuild of target/ cannot change what is measured
cp "$JAR_SRC" "$WORK/spindle.jar"
JAR="$WORK/spindle.jar"
JAR_SHA=$(sha256sum "$JAR" | cut -c1-12)
DS_URL=$(unzip -p "$JAR" BOOT-INF/classes/application.yml 2>/dev/null | awk '/^  datasource:/ { d = 1 } d && /^    url:/ { print $2; exit }')
log "jar: $JAR_SRC (sha256 $JAR_SHA), datasource ${DS_URL:-?}, work dir $WORK"
if bare_on; then
  # the bare Spring MVC anchor (bench/baseline/), also copied: a rebuild cannot change it mid-run
  BARE_SRC=${BENCH_BARE_JAR:-$("$HERE/baseline/build.sh")}
  cp "$BARE_SRC" "$WORK/bare.jar"
  BARE_SHA=$(sha256sum "$WORK/bare.jar" | cut -c1-12)
  log "bare anchor: $BARE_SRC (sha256 $BARE_SHA), port $BARE_PORT"
fi

RES="$WORK/results.env"
: > "$RES"

# start_service NAME "JVM OPTIONS" [spring args...]
start_service() {
  local name=$1 jvm=$2
  shift 2
  SVC_DIR="$WORK/$name"
  mkdir -p "$SVC_DIR"
  log "starting service '$name': $jvm $*"
  # shellcheck disable=SC2086
  if [[ -n "${BENCH_JFR:-}" ]]; then jvm="$jvm -XX:StartFlightRecording=filename=$SVC_DIR/$name.jfr,settings=profile"; fi
  # The service's own datasource URL (./data/spindle with its own H2 settings, e.g. WRITE_DELAY),
  # not an override: the working directory is fresh, so is the H2 file.
  (cd "$SVC_DIR" && exec "$JAVA" $jvm "-Xlog:gc:file=$SVC_DIR/gc.log" -jar "$JAR" \
      --server.port="$PORT" --management.server.port="$MPORT" --spindle.tcp.port=0 \
      "$@" ${BENCH_SERVICE_ARGS:-} > "$SVC_DIR/service.log" 2>&1) &
  SVC_PID=$!
  local t0=$SECONDS
  # ready when both ports answer and both listeners belong to this process (not a stray one)
  until ours "$PORT" && ours "$MPORT" && curl -sf "$MGMT/actuator/health" 2>/dev/null | grep -q '"status":"UP"' \
      && curl -sf -o /dev/null "$BASE/api/v1/job-types"; do
    if ! kill -0 "$SVC_PID" 2>/dev/null; then
      echo "bench: service '$name' died at start; last lines of its log:" >&2
      tail -n 40 "$SVC_DIR/service.log" >&2
      SVC_PID=""
      exit 1
    fi
    if (( SECONDS - t0 > 120 )); then
      echo "bench: service '$name' not healthy after 120 s" >&2
      exit 1
    fi
    sleep 0.2
  done
  log "service '$name' up (pid $SVC_PID) after $((SECONDS - t0)) s"
}

# db_bytes DIR: size of the embedded store's files under DIR (SQLite: the database and its WAL)
db_bytes() { find "$1" \( -name '*.db' -o -name '*.db-wal' -o -name '*.mv.db' \) -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }

# ours PORT [PID]: the listener on PORT belongs to the service just started (or to PID)
ours() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=${2:-$SVC_PID},"; }

# start_bare: starts the bare Spring MVC anchor (same JDK, JVM defaults, like the service) in a
# directory of its own on BARE_PORT; it stays up beside the service for scenario 1
start_bare() {
  mkdir -p "$WORK/bare"
  log "starting the bare anchor on port $BARE_PORT"
  (cd "$WORK/bare" && exec "$JAVA" -jar "$WORK/bare.jar" "$BARE_PORT" > "$WORK/bare/bare.log" 2>&1) &
  BARE_PID=$!
  local t0=$SECONDS
  until ours "$BARE_PORT" "$BARE_PID" && curl -sf -o /dev/null "$BARE_BASE/api/v1/job-types"; do
    if ! kill -0 "$BARE_PID" 2>/dev/null; then
      echo "bench: the bare anchor died at start; last lines of its log:" >&2
      tail -n 40 "$WORK/bare/bare.log" >&2
      BARE_PID=""
      exit 1
    fi
    if (( SECONDS - t0 > 60 )); then
      echo "bench: the bare anchor not up after 60 s" >&2
      exit 1
    fi
    sleep 0.2
  done
  log "bare anchor up (pid $BARE_PID) after $((SECONDS - t0)) s"
}

stop_bare() {
  [[ -n "$BARE_PID" ]] || return 0
  kill -TERM "$BARE_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 150); do kill -0 "$BARE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$BARE_PID" 2>/dev/null || true
  wait "$BARE_PID" 2>/dev/null || true
  BARE_PID=""
}

stop_service() {
  [[ -n "$SVC_PID" ]] || return 0
  if kill -0 "$SVC_PID" 2>/dev/null; then
    kill -TERM "$SVC_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 300); do
      kill -0 "$SVC_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SVC_PID" 2>/dev/null; then
      log "service pid $SVC_PID did not stop in 30 s; killing it"
      kill -KILL "$SVC_PID" 2>/dev/null || true
    fi
  fi
  wait "$SVC_PID" 2>/dev/null || true
  SVC_PID=""
}

client() { "$JAVA" "$HERE/SpindleBench.java" "$@" --base "$BASE" --mgmt "$MGMT"; }

record() { tee -a "$RES" >&2; }
v() { local line; line=$(grep -m1 "^$1=" "$RES" || true); echo "${line#*=}"; }

# wrk_run PREFIX URL [lua]: wrk -t$WRK_THREADS -c32 with the latency distribution; prints PREFIX_*
# figures (PREFIX_OK_RPS: the requests/s that got a 2xx or 3xx answer)
wrk_run() {
  local prefix=$1 url=$2 script=${3:-} out
  out=$(wrk -t"$WRK_THREADS" -c32 -d"${DURATION}s" --latency ${script:+-s "$script"} "$url")
  echo "$out" > "$WORK/wrk-$prefix.txt"
  echo "$out" | awk -v p="$prefix" '
    function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; if (x ~ /m$/) return x * 60000; if (x ~ /s$/) return x * 1000; return x }
    /Requests\/sec:/ { rps = $2; printf "%s_RPS=%.0f\n", p, $2 }
    /^ +50%/ { printf "%s_P50_MS=%.2f\n", p, ms($2) }
    /^ +99%/ { printf "%s_P99_MS=%.2f\n", p, ms($2) }
    /requests in/ { n = $1; printf "%s_REQUESTS=%s\n", p, $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { sub(/^ *Socket errors: */, ""); gsub(/ /, ""); errs = $0 }
    END { printf "%s_NON2XX=%d\n", p, bad + 0; printf "%s_SOCKET_ERRORS=%s\n", p, (errs == "" ? "none" : errs)
          printf "%s_OK_RPS=%.0f\n", p, (n > 0 ? rps * (n - bad) / n : 0) }
  '
}

# --- interference: CPU used by processes that are not ours ------------------------------------------
# The machine's busy time minus the CPU of the service (from /proc, it is still running) and of our
# reaped children (wrk, the Java client: `times`, which must run in this shell, not in a $(...)).
HZ=$(getconf CLK_TCK)
MAX_OTHER=${BENCH_MAX_OTHER:-5}
RETRIES=${BENCH_RETRIES:-2}
# user + nice + system: irq/softirq time (the loopback traffic itself) is nobody's process time
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }
# the service's CPU and, while it runs, the bare anchor's (both are ours; neither is reaped yet)
svc_ticks() {
  local pid n=0 t
  for pid in $SVC_PID $BARE_PID; do
    if [[ -r /proc/$pid/stat ]]; then t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0); n=$((n + ${t:-0})); fi
  done
  echo "$n"
}
times_ticks() { tail -n1 "$1" | awk -v hz="$HZ" '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] } printf "%d", n * hz }'; }
seg_begin() {
  SEG_T0=$(date +%s.%N); SEG_M0=$(machine_busy_ticks); SEG_S0=$(svc_ticks)
  times > "$WORK/times.seg0"
}
# seg_end: sets SEG_OTHER_PCT, the share of the machine's CPU used by other processes since seg_begin
seg_end() {
  times > "$WORK/times.seg1"
  local t1 m1 s1 c0 c1
  t1=$(date +%s.%N); m1=$(machine_busy_ticks); s1=$(svc_ticks)
  c0=$(times_ticks "$WORK/times.seg0"); c1=$(times_ticks "$WORK/times.seg1")
  SEG_OTHER_PCT=$(awk -v t0="$SEG_T0" -v t1="$t1" -v m="$((m1 - SEG_M0))" -v s="$((s1 - SEG_S0))" -v c="$((c1 - c0))" \
      -v hz="$HZ" -v n="$(nproc)" 'BEGIN { o = m - s - c; if (o < 0) o = 0; printf "%.1f", 100 * o / hz / ((t1 - t0) * n) }')
}

# wait_quiet: waits (at most BENCH_QUIET_WAIT seconds, default 60) until other processes use at
# most BENCH_MAX_OTHER % of the CPU over 2 s
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
wait_quiet() {
  local t0=$SECONDS
  while true; do
    seg_begin; sleep 2; seg_end
    if awk -v a="$SEG_OTHER_PCT" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }'; then return 0; fi
    if (( SECONDS - t0 >= QUIET_WAIT )); then
      log "other processes still use ${SEG_OTHER_PCT}% of the CPU; measuring anyway"
      return 0
    fi
    if (( SECONDS - t0 < 3 )); then log "waiting for other processes to leave the CPU (${SEG_OTHER_PCT}% busy)"; fi
  done
}

# measure PREFIX CMD...: runs CMD (it prints KEY=VALUE figures) and records its figures. When other
# processes used more than BENCH_MAX_OTHER % (default 5) of the CPU meanwhile, it runs CMD again, up
# to BENCH_RETRIES (default 2) more times, and keeps the least disturbed attempt.
measure() {
  local prefix=$1 attempt best=101
  shift
  for attempt in $(seq 1 $((RETRIES + 1))); do
    wait_quiet
    seg_begin
    "$@" > "$WORK/attempt.env"
    seg_end
    if awk -v a="$SEG_OTHER_PCT" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      cp "$WORK/attempt.env" "$WORK/best.env"
      best=$SEG_OTHER_PCT
    fi
    if awk -v a="$SEG_OTHER_PCT" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }'; then
      break
    fi
    log "$prefix: other processes used ${SEG_OTHER_PCT}% of the CPU during attempt $attempt (more than ${MAX_OTHER}%)"
  done
  { cat "$WORK/best.env"; echo "${prefix}_OTHER_CPU_PCT=$best"; echo "${prefix}_ATTEMPTS=$attempt"; } | record
}

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# how busy the machine is before we start: CPU idle over 3 s (other builds or tests skew the figures)
cpu_idle() {
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local busy=0 total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( 100 * (b[4] - a[4] + b[5] - a[5]) / (total > 0 ? total : 1) ))
}
IDLE_START=$(cpu_idle)
STAT_START=($(head -1 /proc/stat))
times > "$WORK/times.start"  # (in this shell: in a pipeline `times` would run in a fresh subshell)
if (( IDLE_START < 90 )); then
  log "WARNING: the CPU is only ${IDLE_START}% idle before the run: something else is using it, figures will be low"
fi
T_START=$SECONDS

# --- scenario 1 --------------------------------------------------------------------------------
if has 1; then
  start_service s1 "" --spindle.pool.max-queued=10000000
  if bare_on; then start_bare; fi
  W="wrk -t$WRK_THREADS -c32 -d${DURATION}s"
  # JIT warm-up matters here: C2 is still compiling the submit path after a few seconds
  log "scenario 1: warm-up, 10 s GET and 20 s POST"
  wrk -t"$WRK_THREADS" -c32 -d10s "$BASE/api/v1/job-types" > /dev/null
  wrk -t"$WRK_THREADS" -c32 -d20s -s "$HERE/submit.lua" "$BASE/api/v1/jobs" > /dev/null
  if bare_on; then
    log "scenario 1: bare anchor warm-up, the same 10 s GET and 20 s POST"
    wrk -t"$WRK_THREADS" -c32 -d10s "$BARE_BASE/api/v1/job-types" > /dev/null
    wrk -t"$WRK_THREADS" -c32 -d20s -s "$HERE/submit.lua" "$BARE_BASE/api/v1/jobs" > /dev/null
  fi
  client idle --timeout 300 > /dev/null
  log "scenario 1: GET /api/v1/job-types, $W"
  measure S1_GET wrk_run S1_GET "$BASE/api/v1/job-types"
  if bare_on; then
    log "scenario 1: bare anchor GET /api/v1/job-types, $W"
    measure B1_GET wrk_run B1_GET "$BARE_BASE/api/v1/job-types"
    log "scenario 1: bare anchor POST /api/v1/jobs (submit.lua), $W"
    measure B1_POST wrk_run B1_POST "$BARE_BASE/api/v1/jobs" "$HERE/submit.lua"
  fi
  log "scenario 1: POST /api/v1/jobs (noop, runs at once), $W"
  measure S1_POST wrk_run S1_POST "$BASE/api/v1/jobs" "$HERE/submit.lua"
  client idle --timeout 300 | sed 's/^IDLE_WAIT_MS/S1_BACKLOG_DRAIN_MS/' | record
  log "scenario 1 (extra): POST /api/v1/jobs (noop, delay P300D: stored, not run), $W"
  measure S1_POSTD wrk_run S1_POSTD "$BASE/api/v1/jobs" "$HERE/submit-delayed.lua"
  if bare_on; then
    log "scenario 1: bare anchor POST /api/v1/jobs (submit-delayed.lua), $W"
    measure B1_POSTD wrk_run B1_POSTD "$BARE_BASE/api/v1/jobs" "$HERE/submit-delayed.lua"
    stop_bare
  fi
  stop_service
fi

# --- scenario 2 (+ 4b) -------------------------------------------------------------------------
if has 2 || has 4; then
  start_service s2 "" --spindle.pool.max-queued=1000000
  if has 2; then
    log "scenario 2: drain of 100,000 noop jobs"
    measure DRAIN client drain --jobs 100000 --batch 1000 --submitters 2 --warmup 10000
    echo "DRAIN_DB_BYTES=$(db_bytes "$SVC_DIR")" | record
  fi
  if has 4; then
    log "scenario 4: light run, 2,000 noop jobs one at a time at 200/s"
    measure LAT_LIGHT client latency --jobs 2000 --rate 200 --warmup 200
  fi
  s2_dir=$SVC_DIR
  stop_service
  if has 2; then echo "DRAIN_DB_BYTES_CLOSED=$(db_bytes "$s2_dir")" | record; fi
fi

# --- scenario 3 (+ 4a) -------------------------------------------------------------------------
if has 3 || has 4; then
  start_service s3 "-Xmx512m" --spindle.pool.concurrency=10000
  log "scenario 3: 10,000 sleep-100ms jobs, concurrency 10000, -Xmx512m"
  measure BURST client burst --jobs 10000 --batch 1000 --submitters 1 --sleep-ms 100 --warmup 2000
  s3_dir=$SVC_DIR
  stop_service
  client gclog --file "$s3_dir/gc.log" --prefix S3_GC | record
  if grep -q "java.lang.OutOfMemoryError" "$s3_dir/service.log"; then echo "S3_OOM_IN_LOG=true" | record; else echo "S3_OOM_IN_LOG=false" | record; fi
fi

# --- scenario 5: metrics on vs. off ---------------------------------------------------------------
# drain_as PREFIX: scenario 2's drain, its figures renamed PREFIX_*
drain_as() { client drain --jobs 100000 --batch 1000 --submitters 2 --warmup 10000 | sed "s/^DRAIN_/$1_/"; }
if has 5; then
  for round in $(seq 1 "${BENCH_METRICS_ROUNDS:-3}"); do
    # alternate the order, so that a drift of the machine over the run does not favour one side
    if (( round % 2 )); then order="on off"; else order="off on"; fi
    for mode in $order; do
      if [[ $mode == on ]]; then
        start_service "m$round-on" "" --spindle.pool.max-queued=1000000
      else
        start_service "m$round-off" "" --spindle.pool.max-queued=1000000 --management.metrics.enable.all=false
      fi
      log "scenario 5: round $round, metrics $mode: drain of 100,000 noop jobs"
      measure "M5_${mode^^}_$round" drain_as "M5_${mode^^}_$round"
      stop_service
    done
  done
fi

ELAPSED=$((SECONDS - T_START))
# CPU used by other processes during the run: the machine's busy time minus our children's
# (the services, wrk and the Java client are all reaped children of this shell)
STAT_END=($(head -1 /proc/stat))
busy_ticks() { local -n st=$1; echo $(( st[1] + st[2] + st[3] )); }
MACHINE_BUSY_S=$(awk -v a="$(busy_ticks STAT_START)" -v b="$(busy_ticks STAT_END)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }')
times > "$WORK/times.end"
child_cpu() { tail -n1 "$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] } printf "%.2f", n }'; }
OURS_S=$(awk -v a="$(child_cpu "$WORK/times.start")" -v b="$(child_cpu "$WORK/times.end")" 'BEGIN { printf "%.1f", b - a }')
OTHER_S=$(awk -v m="$MACHINE_BUSY_S" -v o="$OURS_S" 'BEGIN { x = m - o; printf "%.1f", (x < 0 ? 0 : x) }')
OTHER_PCT=$(awk -v x="$OTHER_S" -v t="$ELAPSED" -v n="$(nproc)" 'BEGIN { printf "%.1f", 100 * x / (t * n) }')
echo "CPU_MACHINE_BUSY_S=$MACHINE_BUSY_S" >> "$RES"; echo "CPU_OURS_S=$OURS_S" >> "$RES"; echo "CPU_OTHER_S=$OTHER_S" >> "$RES"
if awk -v p="$OTHER_PCT" 'BEGIN { exit !(p > 3) }'; then
  log "WARNING: other processes used ${OTHER_S} CPU-seconds (${OTHER_PCT}% of the machine) during the run: figures are skewed"
fi


# --- report ------------------------------------------------------------------------------------
# ge A B: "met" when A >= B; le A B: "met" when A <= B
ge() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" ) print "n/a"; else if (a + 0 >= b + 0) print "**met**"; else printf "**missed** (%.0f%% of target)\n", 100 * a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" ) print "n/a"; else if (a + 0 <= b + 0) print "**met**"; else printf "**missed** (%.2fx the target)\n", a / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print ""; else printf "%.1f", 100 * a / b }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.1f", a / 1048576 }'; }
# noise PREFIX...: how much CPU other processes took during these measurements
noise() {
  local p out=""
  for p in "$@"; do
    out="$out${out:+, }$(v "${p}_OTHER_CPU_PCT") %$(awk -v a="$(v "${p}_OTHER_CPU_PCT")" -v m="$MAX_OTHER" 'BEGIN { if (a > m) printf " (DISTURBED)" }')"
    if [[ "$(v "${p}_ATTEMPTS")" != 1 ]]; then out="$out after $(v "${p}_ATTEMPTS") attempts"; fi
  done
  echo "CPU taken by other processes during the measurement: $out."
}

CPU=$(lscpu 2>/dev/null | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
MEM=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
JVER=$("$JAVA" -version 2>&1 | sed -n 2p)

REPORT=$(
  echo "### Spindle benchmark results — $(date -u +%Y-%m-%d)"
  echo
  echo "- started: $START (\`date -u\`), took ${ELAPSED} s"
  echo "- machine: $(nproc) cores ($CPU), $MEM memory, $(uname -sr)"
  echo "- JDK: $JVER"
  echo "- jar: commit $GIT_REV, sha256 $JAR_SHA; embedded store with the jar's own URL (\`${DS_URL:-?}\`), a fresh file per service${BENCH_SERVICE_ARGS:+; extra service arguments: \`$BENCH_SERVICE_ARGS\`}"
  echo "- client and service share the cores (wrk / the Java client run on the same machine); CPU idle just before the run: ${IDLE_START} %; CPU used by other processes during the run: ${OTHER_S} s (${OTHER_PCT} % of the machine; above ~3 % the figures are skewed)"
  if has 1; then
    r=$(ratio "$(v S1_POST_RPS)" "$(v S1_GET_RPS)")
    echo
    wrow() { echo "| $1 | $(v "$2_RPS") | $(v "$2_P50_MS") ms | $(v "$2_P99_MS") ms | $(v "$2_NON2XX") | $(v "$2_SOCKET_ERRORS") |"; }
    echo "#### 1. REST single submit vs. constant endpoint and the bare Spring MVC anchor (wrk -t$WRK_THREADS -c32 -d${DURATION}s, max-queued 10,000,000, concurrency 64)"
    echo
    echo "| endpoint | requests/s | p50 | p99 | non-2xx | socket errors |"
    echo "|---|---:|---:|---:|---:|---|"
    wrow "GET /api/v1/job-types (constant)" S1_GET
    wrow "POST /api/v1/jobs (durable noop, runs at once)" S1_POST
    wrow "extra: POST /api/v1/jobs (durable noop, delay P300D: stored, not run)" S1_POSTD
    if bare_on; then
      wrow "anchor: bare Spring MVC app, GET /api/v1/job-types (constant)" B1_GET
      wrow "anchor: bare Spring MVC app, POST /api/v1/jobs (parse, 202, nothing stored), submit.lua" B1_POST
      wrow "anchor: bare Spring MVC app, POST /api/v1/jobs, submit-delayed.lua (delay P300D body)" B1_POSTD
    fi
    echo
    echo "| figure | value | target | result |"
    echo "|---|---:|---:|---|"
    echo "| submit rps / constant rps | ${r} % | ≥ 60 % | $(ge "$r" 60) |"
    if bare_on; then
      rb=$(ratio "$(v S1_POST_OK_RPS)" "$(v B1_POST_OK_RPS)")
      rbd=$(ratio "$(v S1_POSTD_OK_RPS)" "$(v B1_POSTD_OK_RPS)")
      rbg=$(ratio "$(v S1_GET_OK_RPS)" "$(v B1_GET_OK_RPS)")
      echo "| **Spindle submit / bare anchor submit** (2xx requests/s: $(v S1_POST_OK_RPS) / $(v B1_POST_OK_RPS); submit.lua, adjacent runs) | ${rb} % | ≥ 80 % | $(ge "$rb" 80) |"
      echo "| extra: Spindle submit, delay P300D / bare anchor, same body ($(v S1_POSTD_OK_RPS) / $(v B1_POSTD_OK_RPS); adjacent runs) | ${rbd} % | ≥ 80 % | $(ge "$rbd" 80) |"
      echo "| Spindle constant GET / bare anchor constant GET ($(v S1_GET_OK_RPS) / $(v B1_GET_OK_RPS)) | ${rbg} % | | |"
    fi
    echo
    echo "The $(v S1_POST_REQUESTS) jobs submitted in the measured POST run ran concurrently (noop); the backlog left at the end of the run was empty $(v S1_BACKLOG_DRAIN_MS) ms later. The extra row, measured last, stores jobs that do not run: submit path alone is $(ratio "$(v S1_POSTD_RPS)" "$(v S1_GET_RPS)") % of the constant endpoint."
    echo
    if bare_on; then
      echo "The anchor (\`bench/baseline/\`, jar sha256 $BARE_SHA) is a bare Spring Boot MVC app on the same JDK with JVM defaults and virtual threads: it parses the same JSON into a record of Spindle's request shape and answers 202 with a Location header and \`{\"id\":…,\"state\":\"QUEUED\"}\`. It ran beside the service for the whole scenario, got the same warm-up, and was measured in the order bare POST, Spindle POST, Spindle POST (delay P300D), bare POST (delay P300D); the ratios use 2xx answers only."
      echo
      echo "$(noise S1_GET B1_GET B1_POST S1_POST S1_POSTD B1_POSTD)"
    else
      echo "$(noise S1_GET S1_POST S1_POSTD)"
    fi
  fi
  if has 2; then
    echo
    echo "#### 2. Drain of $(v DRAIN_JOBS) noop jobs (defaults: concurrency 64, claim-batch 100)"
    echo
    echo "Submitted in batches of $(v DRAIN_BATCH) by $(v DRAIN_SUBMITTERS) concurrent clients, all with the same \`runAt\` in the future (after a warm-up of 2 × 5,000 jobs that run at once); timed from that \`runAt\` until no job is QUEUED or RUNNING, then every job read back."
    echo
    echo "| figure | value | target | result |"
    echo "|---|---:|---:|---|"
    echo "| drain rate (runAt → all SUCCEEDED seen by polling) | $(v DRAIN_OBSERVED_RATE) jobs/s ($(v DRAIN_OBSERVED_S) s) | ≥ 40,000 jobs/s (issue 12) | $(ge "$(v DRAIN_OBSERVED_RATE)" 40000) |"
    echo "| drain rate (runAt → last finishedAt) | $(v DRAIN_SERVER_RATE) jobs/s ($(v DRAIN_SERVER_S) s) | | |"
    echo "| jobs SUCCEEDED | $(v DRAIN_SUCCEEDED) / $(v DRAIN_JOBS) | all | $( [[ "$(v DRAIN_SUCCEEDED)" == "$(v DRAIN_JOBS)" ]] && echo '**met**' || echo '**missed**') |"
    echo "| submit rate (batches of $(v DRAIN_BATCH)) | $(v DRAIN_SUBMIT_RATE) jobs/s ($(v DRAIN_SUBMIT_S) s) | | |"
    echo "| first start after runAt | $(v DRAIN_FIRST_START_MS) ms | | |"
    echo "| store files after the drain (open / after shutdown) | $(mb "$(v DRAIN_DB_BYTES)") MB / $(mb "$(v DRAIN_DB_BYTES_CLOSED)") MB | | |"
    echo
    echo "$(noise DRAIN)"
    if [[ "$(v DRAIN_SUBMIT_OVERLAP)" == true ]]; then
      echo
      echo "WARNING: the submission was still running at runAt, so the drain overlapped it."
    fi
  fi
  if has 5; then
    rounds=${BENCH_METRICS_ROUNDS:-3}
    ons=""; offs=""
    echo
    echo "#### 5. Cost of metrics: drain of 100,000 noop jobs, every meter on vs. off (\`management.metrics.enable.all=false\`)"
    echo
    echo "| round | order | metrics on (jobs/s) | metrics off (jobs/s) | on / off |"
    echo "|---|---|---:|---:|---:|"
    for round in $(seq 1 "$rounds"); do
      on=$(v "M5_ON_${round}_OBSERVED_RATE"); off=$(v "M5_OFF_${round}_OBSERVED_RATE")
      ons="$ons $on"; offs="$offs $off"
      echo "| $round | $( (( round % 2 )) && echo 'on, off' || echo 'off, on') | $on | $off | $(ratio "$on" "$off") % |"
    done
    median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
    mon=$(echo "$ons" | median); moff=$(echo "$offs" | median)
    # the rounds are paired (same machine state, one after the other): the median of the per-round
    # costs is the figure; the difference of the medians is shown beside it
    costs=""
    for round in $(seq 1 "$rounds"); do
      costs="$costs $(awk -v a="$(v "M5_ON_${round}_OBSERVED_RATE")" -v b="$(v "M5_OFF_${round}_OBSERVED_RATE")" 'BEGIN { printf "%.1f", 100 * (b - a) / b }')"
    done
    cost=$(echo "$costs" | median)
    unpaired=$(awk -v a="$mon" -v b="$moff" 'BEGIN { printf "%.1f", 100 * (b - a) / b }')
    echo
    echo "| figure | value | target | result |"
    echo "|---|---:|---:|---|"
    echo "| median drain rate, on / off | $mon / $moff jobs/s | | |"
    echo "| throughput lost to metrics (median of the per-round costs:$costs) | $cost % | ≤ 3 % | $(le "$cost" 3) |"
    echo "| difference of the medians | $unpaired % | | |"
    echo
    args=""; for round in $(seq 1 "$rounds"); do args="$args M5_ON_$round M5_OFF_$round"; done
    # shellcheck disable=SC2086
    echo "$(noise $args)"
  fi
  if has 3; then
    echo
    echo "#### 3. $(v BURST_JOBS) sleep-$(v BURST_SLEEP_MS)ms jobs, concurrency 10000, -Xmx512m"
    echo
    echo "Submitted in batches of 1000 (after a 2,000-job warm-up); they start running while later batches are submitted."
    echo
    echo "| figure | value | target | result |"
    echo "|---|---:|---:|---|"
    echo "| last submit → all finished (polling) | $(v BURST_AFTER_LAST_SUBMIT_S) s | ≤ 1.5 s | $(le "$(v BURST_AFTER_LAST_SUBMIT_S)" 1.5) |"
    echo "| last submit → last finishedAt | $(v BURST_AFTER_LAST_SUBMIT_SERVER_S) s | | |"
    echo "| first submit → all finished | $(v BURST_FIRST_SUBMIT_TO_DONE_S) s (submit took $(v BURST_SUBMIT_S) s, $(v BURST_SUBMIT_RATE) jobs/s) | | |"
    echo "| jobs SUCCEEDED | $(v BURST_SUCCEEDED) / $(v BURST_JOBS) | all | $( [[ "$(v BURST_SUCCEEDED)" == "$(v BURST_JOBS)" ]] && echo '**met**' || echo '**missed**') |"
    echo "| peak heap used (actuator, sampled every 50 ms, $(v BURST_HEAP_SAMPLES) samples) | $(v BURST_HEAP_PEAK_MB) MB | < 512 MB | $(awk -v a="$(v BURST_HEAP_PEAK_MB)" 'BEGIN { print (a + 0 < 512 ? "**met**" : "**missed**") }') |"
    echo "| heap before / after GC, max over the service's life (GC log) | $(v S3_GC_MAX_BEFORE_MB) MB / $(v S3_GC_MAX_AFTER_MB) MB | | |"
    echo "| GC pauses over the service's life (count, total, max) | $(v S3_GC_PAUSES), $(v S3_GC_PAUSE_TOTAL_MS) ms, $(v S3_GC_PAUSE_MAX_MS) ms; full GC: $(v S3_GC_FULL_GC); OutOfMemoryError: $(v S3_OOM_IN_LOG) | | |"
    echo "| handler run time (finishedAt − startedAt) p50 / max | $(v BURST_RUN_P50_MS) ms / $(v BURST_RUN_MAX_MS) ms | | |"
    echo
    echo "$(noise BURST)"
  fi
  if has 4; then
    echo
    echo "#### 4. Enqueue → start latency (startedAt − runAt per job)"
    echo
    echo "| run | jobs | p50 | p99 | max |"
    echo "|---|---:|---:|---:|---:|"
    echo "| light: noop, one request at a time at $(v LAT_LIGHT_RATE)/s (defaults) | $(v LAT_LIGHT_N) | $(v LAT_LIGHT_P50_MS) ms | $(v LAT_LIGHT_P99_MS) ms | $(v LAT_LIGHT_MAX_MS) ms |"
    echo "| the sleep jobs of scenario 3 (batches of 1000, concurrency 10000) | $(v LAT_BURST_N) | $(v LAT_BURST_P50_MS) ms | $(v LAT_BURST_P99_MS) ms | $(v LAT_BURST_MAX_MS) ms |"
    echo
    echo "No target was set for this scenario. Light run: runAt → finishedAt p50 $(v LAT_LIGHT_DONE_P50_MS) ms / p99 $(v LAT_LIGHT_DONE_P99_MS) ms; submit request p50 $(v LAT_LIGHT_SUBMIT_P50_MS) ms / p99 $(v LAT_LIGHT_SUBMIT_P99_MS) ms; $(v LAT_LIGHT_SUCCEEDED) of $(v LAT_LIGHT_N) SUCCEEDED."
    echo
    echo "$(noise LAT_LIGHT) (light run; for the scenario 3 jobs see above)"
  fi
)

OUT=${BENCH_OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$OUT")"
{ echo "$REPORT"; echo; echo '<details><summary>raw figures</summary>'; echo; echo '```'; cat "$RES"; echo '```'; echo '</details>'; } > "$OUT"
echo "$REPORT"
log "results written to $OUT"
