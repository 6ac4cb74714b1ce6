#!/usr/bin/env bash
# Spindle on PostgreSQL: cluster benchmarks. One command, about 6-8 minutes on the 2-core machine.
#
#   bench/cluster/run.sh
#
# Scenarios (see docs/benchmarks-cluster.md):
#   1. raw JDBC anchor (ClaimHarness.java): 200,000 QUEUED rows drained by one thread with batch-100
#      FOR UPDATE SKIP LOCKED claims + batched completions; with the claim index only (the anchor),
#      and again with all of Spindle's indexes (tells the schema's cost from the service's)
#   2. drain of 200,000 pre-queued noop jobs by ONE instance: concurrency 64 with the jar's default
#      claim-batch, then concurrency 256 / claim-batch 200; jobs/s, commits per job, claim sizes
#   3. the same drain by THREE instances started together
#   4. enqueue -> start latency on an idle 2-instance cluster: 1,000 single REST submits at ~100/s
#      round-robin, startedAt - createdAt read back per job
#   5. durable submit throughput, one instance: REST single submit (wrk -t2 -c32, delay P300D) and
#      100,000 jobs in REST batches of 1000 from 2 client threads; rows/s and commits per job.
#      REFERENCE ANCHOR in the same run: the bare Spring MVC app (bench/baseline/, built with
#      ./mvnw -f bench/baseline/pom.xml if needed) beside the instance, measured with the same wrk
#      script, threads, connections and duration before and after Spindle's single-submit run;
#      Spindle / the mean of the two (target >= 50 %)
#   6. REFERENCE ANCHOR db-scheduler 16.7.1 (bench/cluster/dbscheduler/, a plain Java program on the
#      core artifact, built with ./mvnw -f bench/cluster/dbscheduler/pom.xml if needed): a fresh
#      database with db-scheduler's table and the same number of pre-inserted one-time no-op
#      executions as the drains, drained with 20 threads and lock-and-fetch polling; jobs/s and
#      commits per job (pg_stat_database xact_commit delta)
#   Anchors table (when 1, 2 and 6 ran): Spindle's drain (2a) / db-scheduler (target >= 2x),
#   Spindle's drain / the raw JDBC anchor of 1 (target >= 70 %), Spindle's commits per job (<= 0.05)
#
# Every scenario gets a fresh database (CREATE DATABASE ... TEMPLATE a database Spindle's own Flyway
# migrated once at the start), dropped at the end. Before each measurement the script waits (up to
# CLUSTER_QUIET_WAIT s) for other benchmarks to end and the CPU to be idle, and records the load.
#
# Environment (all optional):
#   CLUSTER_JAVA_HOME   JDK 25+ (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   SPINDLE_JAR         benchmark this jar (copied to the work directory first); default: a copy of
#                       target/spindle-*.jar, built with ./mvnw -q -B package -DskipTests if absent
#   CLUSTER_PORT        first port (default 19180); instance i uses +10*i (REST) and +10*i+1 (management)
#   CLUSTER_DB          database name prefix (default spindle_cluster)
#   CLUSTER_JOBS        jobs per drain (default 200000)
#   CLUSTER_SCENARIOS   which to run (default "1 2 3 4 5 6"; 2 needs 1 for its relative target; the
#                       anchors table needs 1, 2 and 6)
#   CLUSTER_DURATION    seconds of each wrk measurement in 5 (default 15)
#   CLUSTER_BARE=0      scenario 5 without the bare Spring MVC anchor
#   CLUSTER_BARE_JAR    use this anchor jar instead of bench/baseline/target/bare-anchor.jar
#   CLUSTER_DBSCHED_JOBS     executions drained by db-scheduler in 6 (default CLUSTER_JOBS)
#   CLUSTER_DBSCHED_THREADS  db-scheduler threads (default 20)
#   CLUSTER_DBSCHED_LIMITS   lock-and-fetch lower and upper limit fractions of the threads (default "0.5 1.0")
#   CLUSTER_QUIET_WAIT  seconds to wait for a quiet machine before each measurement (default 60)
#   CLUSTER_OUT         results file (default bench/cluster/results/<UTC time>.md)
#   CLUSTER_KEEP=1      keep the work directory (service logs, tool reports)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

JDK=${CLUSTER_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JDK/bin/java"
[[ -x "$JAVA" ]] || { echo "cluster-bench: no JDK at $JDK (set CLUSTER_JAVA_HOME)" >&2; exit 1; }
DRIVER=$(ls -1 "$HOME"/.m2/repository/org/postgresql/postgresql/*/postgresql-*.jar 2>/dev/null | grep -v sources | sort -V | tail -1)
[[ -n "$DRIVER" ]] || { echo "cluster-bench: no PostgreSQL JDBC driver under ~/.m2 (build the project once)" >&2; exit 1; }
command -v psql >/dev/null || { echo "cluster-bench: psql is needed" >&2; exit 1; }
command -v wrk >/dev/null || { echo "cluster-bench: wrk is needed (apt-get install -y wrk)" >&2; exit 1; }

PORT=${CLUSTER_PORT:-19180}
DBP=${CLUSTER_DB:-spindle_cluster}
JOBS=${CLUSTER_JOBS:-200000}
SCENARIOS=" ${CLUSTER_SCENARIOS:-1 2 3 4 5 6} "
DUR=${CLUSTER_DURATION:-15}
BARE_PORT=$((PORT + 2))
DBS_JOBS=${CLUSTER_DBSCHED_JOBS:-$JOBS}
DBS_THREADS=${CLUSTER_DBSCHED_THREADS:-20}
read -r DBS_LOWER DBS_UPPER <<< "${CLUSTER_DBSCHED_LIMITS:-0.5 1.0}"
has() { [[ "$SCENARIOS" == *" $1 "* ]]; }
bare_on() { has 5 && [[ "${CLUSTER_BARE:-1}" != 0 ]]; }
QUIET_WAIT=${CLUSTER_QUIET_WAIT:-60}
# other benchmarks to wait for: the service/REST benchmark (bench/run.sh and what it starts), test runs
OTHERS=${CLUSTER_OTHERS:-'spindle-bench|/tmp/bench-jar|wrk |bench/run.sh|SpindleBench|surefire'}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${CLUSTER_OUT:-$HERE/results/$STAMP.md}
PG=(psql -h 127.0.0.1 -U postgres -X -q -v ON_ERROR_STOP=1)
export PGOPTIONS="-c client_min_messages=warning"   # no NOTICE for DROP DATABASE IF EXISTS

WORK=$(mktemp -d /tmp/spindle-cluster.XXXXXX)
PIDS=()
DBS=()
SCRIPT_START=$(date +%s)

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  local db
  for db in "${DBS[@]}"; do
    "${PG[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [[ "${CLUSTER_KEEP:-}" == 1 ]]; then
    echo "cluster-bench: work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
set -E
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

log() { echo "cluster-bench: $*" >&2; }

# --- the jar and the tools ---------------------------------------------------------------------
if [[ -n "${SPINDLE_JAR:-}" ]]; then
  SRC_JAR=$SPINDLE_JAR
else
  SRC_JAR=$(ls -1 "$ROOT"/target/spindle-*.jar 2>/dev/null | grep -v -e sources -e original | head -1 || true)
  if [[ -z "$SRC_JAR" ]]; then
    log "building the jar"
    (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -q -B package -DskipTests)
    SRC_JAR=$(ls -1 "$ROOT"/target/spindle-*.jar | grep -v -e sources -e original | head -1)
  fi
fi
cp "$SRC_JAR" "$WORK/spindle.jar"
JAR="$WORK/spindle.jar"
JAR_SHA=$(sha256sum "$JAR" | cut -c1-12)
JAR_TIME=$(date -u -r "$SRC_JAR" +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$WORK/classes" "$(dirname "$OUT")"
"$JDK/bin/javac" -nowarn -cp "$DRIVER" -d "$WORK/classes" "$HERE/ClaimHarness.java" "$HERE/ClusterTool.java"
CP="$WORK/classes:$DRIVER"
# the jar's own defaults, to label the scenarios that use them
jar_default() { { unzip -p "$JAR" BOOT-INF/classes/application.yml 2>/dev/null || true; } | awk -v k="$1:" '$1 == k && !v {v = $2} END {print v}'; }
DEF_CONC=$(jar_default concurrency); DEF_CONC=${DEF_CONC:-?}
DEF_BATCH=$(jar_default claim-batch); DEF_BATCH=${DEF_BATCH:-?}
tool() { "$JAVA" -cp "$CP" ClusterTool "$@"; }
# the reference anchors, built when missing or stale and copied (a rebuild cannot change them mid-run)
if bare_on; then
  BARE_SRC=${CLUSTER_BARE_JAR:-$(JAVA_HOME=$JDK "$ROOT/bench/baseline/build.sh")}
  cp "$BARE_SRC" "$WORK/bare.jar"
  BARE_SHA=$(sha256sum "$WORK/bare.jar" | cut -c1-12)
fi
if has 6; then
  DBS_DIR="$HERE/dbscheduler"
  if [[ ! -f "$DBS_DIR/target/dbscheduler-drain.jar" \
        || -n $(find "$DBS_DIR/pom.xml" "$DBS_DIR/src" -newer "$DBS_DIR/target/dbscheduler-drain.jar" -type f | head -1) ]]; then
    log "building the db-scheduler anchor ($DBS_DIR/pom.xml)"
    (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -f "$DBS_DIR/pom.xml" -q -B package)
  fi
  mkdir -p "$WORK/dbscheduler"
  cp -r "$DBS_DIR/target/dbscheduler-drain.jar" "$DBS_DIR/target/lib" "$WORK/dbscheduler/"
  DBS_VERSION=$(ls "$WORK/dbscheduler/lib" | sed -n 's/^db-scheduler-\(.*\)\.jar$/\1/p')
fi

# --- helpers -----------------------------------------------------------------------------------
sql() { local db=$1; shift; "${PG[@]}" -d "$db" -At -c "$*"; }

# new_db <name> [template]: creates ${DBP}_<name>, sets DB (functions set globals, not stdout:
# a $(...) subshell would lose the pids and databases to clean up)
new_db() {
  DB="${DBP}_$1"
  DBS+=("$DB")
  sql postgres "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  if [[ -n "${2:-}" ]]; then
    sql postgres "CREATE DATABASE $DB TEMPLATE ${DBP}_$2" >/dev/null
  else
    sql postgres "CREATE DATABASE $DB" >/dev/null
  fi
}

drop_db() { sql postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }

xact() { sql postgres "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"; }

# start_instance <db> <index> <node> [extra args...]; sets PID
start_instance() {
  local db=$1 i=$2 node=$3; shift 3
  local p=$((PORT + 10 * i)) m=$((PORT + 10 * i + 1))
  # Spring joins a property given twice ("64,256"): the default only when none is given
  local concurrency=(--spindle.pool.concurrency=64)
  [[ " $* " == *" --spindle.pool.concurrency="* ]] && concurrency=()
  "$JAVA" -jar "$JAR" --server.port=$p --management.server.port=$m --spindle.tcp.port=0 --spindle.node-id="$node" \
    --spring.datasource.url="jdbc:postgresql://127.0.0.1:5432/$db?currentSchema=spindle" \
    --spring.datasource.username=postgres --spring.flyway.schemas=spindle \
    "${concurrency[@]}" "$@" >"$WORK/$db-$node.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}

wait_ready() { # mgmt port, pid
  local m=$1 pid=$2
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null "http://127.0.0.1:$m/actuator/health/readiness"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "instance on :$m died"; return 1; }
    sleep 0.1
  done
  log "instance on :$m not ready after 60 s"; return 1
}

stop_instance() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  log "instance $pid did not stop in 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# CPU idle share over one second, in percent
idle_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local ta=0 tb=0 i
  for i in 1 2 3 4 5 6 7 8; do ta=$((ta + a[i])); tb=$((tb + b[i])); done
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=$((tb - ta))
  echo $(( total > 0 ? 100 * idle / total : 0 ))
}

# CPU snapshot "<time> <busy> <ours> <postgres>" in ticks: the machine's busy total (user, nice,
# system); this script and
# its descendants, and postgres, each with their reaped children's times (so processes that ended
# during a measurement still count where they belong). cpu_other turns two snapshots into the
# share of one core that everything else (other benchmarks, builds) used in between.
cpu_snap() {
  local busy
  # user + nice + system: what processes' utime + stime add up to (irq/softirq time, much of it
  # this script's own loopback traffic, belongs to no process)
  busy=$(awk 'NR == 1 {print $2 + $3 + $4}' /proc/stat)
  # (cat fails for a process that ended after the glob: not an error here)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root=$$ -v busy="$busy" -v now="$(date +%s.%N)" '
    { o = index($0, "("); c = 0; for (i = length($0); i > 0; i--) if (substr($0, i, 1) == ")") { c = i; break }
      pid = substr($0, 1, o - 2) + 0; comm = substr($0, o + 1, c - o - 1)
      n = split(substr($0, c + 2), f, " ")
      ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15]; name[pid] = comm }
    END { ours = 0; pg = 0
      for (p in t) {
        if (name[p] ~ /^postgres/) { pg += t[p]; continue }
        q = p; for (k = 0; k < 50 && q > 1; k++) { if (q == root) { ours += t[p]; break } q = ppid[q] }
      }
      printf "%s %d %d %d\n", now, busy, ours, pg }'
}

cpu_other() { # snapshot before, snapshot after -> percent of one core
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
    secs = y[1] - x[1]; other = (y[2] - x[2]) - (y[3] - x[3]) - (y[4] - x[4])
    if (other < 0) other = 0; printf "%.0f", 100 * other / (100 * secs) }'
}

# other benchmarks still running (not our own processes)
others() {
  local pid mine out=""
  for pid in $(pgrep -f "$OTHERS" || true); do
    mine=0
    for p in "${PIDS[@]}"; do [[ "$pid" == "$p" ]] && mine=1; done
    [[ $mine == 0 && "$pid" != "$$" ]] && out+="$pid "
  done
  echo "$out"
}

# Waits until no other benchmark runs and the CPU is quiet (1-min load < 1.0, or — right after our
# own previous scenario, whose load the 1-min average still carries — at least 90% idle over 1 s);
# sets QUIET to what it found.
quiet() {
  local start=$SECONDS idle load o
  while true; do
    o=$(others); idle=$(idle_pct); load=$(cut -d' ' -f1 /proc/loadavg)
    if [[ -z "$o" ]] && { awk -v l="$load" 'BEGIN{exit !(l < 1.0)}' || (( idle >= 90 )); }; then
      QUIET="load1 $load, idle $idle%"
      (( SECONDS - start > 1 )) && QUIET+=" (waited $((SECONDS - start)) s)"
      SNAP=$(cpu_snap)
      return 0
    fi
    if (( SECONDS - start < 3 )); then
      log "waiting for a quiet machine (load1 $load, idle $idle%${o:+, other benchmark pids $o})"
    fi
    if (( SECONDS - start >= QUIET_WAIT )); then
      QUIET="**not quiet**: load1 $load, idle $idle%${o:+, other benchmark pids $o}"
      log "machine not quiet after ${QUIET_WAIT}s ($QUIET); measuring anyway"
      SNAP=$(cpu_snap)
      return 0
    fi
    sleep 2
  done
}

# after a measurement: QUIET plus what other processes used meanwhile; sets Q
during() {
  local other; other=$(cpu_other "$SNAP" "$(cpu_snap)")
  Q="$QUIET; others used $other% of a core during the run"
  (( other > 10 )) && Q="**disturbed**: $Q"
  return 0
}

kv() { # key, "k=v k=v" line
  local key=$1 line=$2
  sed -n "s/.*\\b$key=\\([^ ]*\\).*/\\1/p" <<<"$line"
}

# 12345.6 -> 12,346
fmtn() { printf "%.0f" "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

calc() { awk "BEGIN{printf \"%s\", $*}"; }

ge() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a >= b)}'; }

ROWS=()     # table rows
DETAILS=()  # detail blocks

row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }

detail() { DETAILS+=("$1"); }

insert_jobs() { # db
  sql "$1" "INSERT INTO spindle.jobs (id, type, payload, state, priority, max_attempts, attempt, timeout_ms,
                                      run_at, created_at, fencing_token, cancel_requested)
            SELECT md5('job-' || i)::uuid::text, 'noop', '{}', 'QUEUED', 5, 3, 0, 30000,
                   now() - interval '1 second', now() - interval '1 second', 0, false
            FROM generate_series(1, $JOBS) AS i" >/dev/null
  sql "$1" "VACUUM ANALYZE spindle.jobs" >/dev/null
  sql postgres "CHECKPOINT" >/dev/null
}

# drain <label> <name> <instances> [extra args...]: sets LINE to "k=v ..." (tool line + commits)
drain() {
  local label=$1 name=$2 n=$3; shift 3
  new_db "$name" tpl
  local db=$DB
  insert_jobs "$db"
  quiet
  sleep 1
  local before; before=$(xact "$db")
  local pids=() mg=() i
  for ((i = 1; i <= n; i++)); do
    start_instance "$db" "$i" "n$i" "$@"
    pids+=("$PID")
    mg+=($((PORT + 10 * i + 1)))
  done
  local line
  line=$(tool drain --url "jdbc:postgresql://127.0.0.1:5432/$db?currentSchema=spindle" --expect "$JOBS" \
    --mgmt "$(IFS=,; echo "${mg[*]}")" --pids "$(IFS=,; echo "${pids[*]}")" --timeout 240 \
    --report "$WORK/$name.report") || { log "drain $name failed; logs in $WORK"; CLUSTER_KEEP=1; exit 1; }
  local pid
  for pid in "${pids[@]}"; do stop_instance "$pid"; done
  during
  local q=$Q
  sleep 1.5
  local after; after=$(xact "$db")
  local stmts; stmts=$(kv tool_statements "$line")
  local commits=$((after - before - stmts))
  line+=" commits=$commits commits_per_job=$(calc "$commits / $JOBS" | awk '{printf "%.4f", $1}') quiet=${q// /_}"
  detail "#### $label
\`\`\`
$line
$(cat "$WORK/$name.report")
\`\`\`
Machine: $q (start to stop of the instances)."
  drop_db "$db"
  LINE=$line
}

# --- the schema template -----------------------------------------------------------------------
log "work directory $WORK; jar $SRC_JAR ($JAR_SHA)"
new_db tpl; TPL=$DB
start_instance "$TPL" 0 tpl
wait_ready $((PORT + 1)) "$PID"
stop_instance "$PID"
sql "$TPL" "DELETE FROM spindle.nodes" >/dev/null

RAW=""
# --- 1. raw JDBC harness -----------------------------------------------------------------------
if [[ "$SCENARIOS" == *" 1 "* ]]; then
  log "1. raw JDBC claim harness"
  new_db raw tpl; db=$DB
  quiet
  h1=$("$JAVA" -cp "$CP" ClaimHarness --url "jdbc:postgresql://127.0.0.1:5432/$db" --schema harness \
        --like spindle.jobs --rows "$JOBS" --batch 100 --indexes claim)
  during; q=$Q
  quiet
  h2=$("$JAVA" -cp "$CP" ClaimHarness --url "jdbc:postgresql://127.0.0.1:5432/$db" --schema harness \
        --like spindle.jobs --rows "$JOBS" --batch 100 --indexes spindle)
  during; q2=$Q
  drop_db "$db"
  RAW=$(kv jobs_per_s "$h1")
  row "1" "raw JDBC, 1 thread, claim 100 SKIP LOCKED + batched complete; PK + claim index" \
    "$(fmtn "$RAW") jobs/s ($(kv commits_per_job "$h1") commits/job)" "anchor (MACHINE.md: ~27,000)" "—" "$q"
  row "1b" "same, with all 9 indexes Spindle's migrations create" \
    "$(fmtn "$(kv jobs_per_s "$h2")") jobs/s" "diagnostic" "—" "$q2"
  detail "#### 1. Raw JDBC harness
\`\`\`
claim index only: $h1
all of Spindle's indexes: $h2
\`\`\`"
fi

judge_drain() { # label, line, [relative]
  local label=$1 line=$2 steady commits ok40=1 target basis="after all were ready"
  steady=$(kv rate_steady "$line"); commits=$(kv commits_per_job "$line")
  if (( $(kv finished_after_ready "$line") < JOBS / 4 )); then
    # most jobs were done before every instance was up: the whole drain is the figure
    steady=$(kv rate_window "$line"); basis="whole drain: under a quarter of the jobs finished after all were ready"
  fi
  target="≥ 10,000"
  if [[ -n "$RAW" ]]; then
    target+=" and ≥ 40% of #1 ($(fmtn "$(calc "$RAW * 0.4")"))"
    ge "$steady" "$(calc "$RAW * 0.4")" || ok40=0
  fi
  STEADY=$steady
  local met=missed
  ge "$steady" 10000 && (( ok40 )) && met=met
  local share=""
  [[ -n "$RAW" ]] && share=" = $(calc "100 * $steady / $RAW" | awk '{printf "%.0f", $1}')% of #1"
  row "$label" "$3" "$(fmtn "$steady") jobs/s$share [$basis] (whole drain by row timestamps: $(fmtn "$(kv rate_window "$line")") jobs/s; all jobs ÷ readiness→done: $(fmtn "$(kv rate_from_ready "$line")"); $(kv succeeded_at_ready "$line") done before readiness)" \
    "$target" "**$met**" "$(kv quiet "$line" | tr _ ' ')"
  local cmet=missed
  ge 0.1 "$commits" && cmet=met
  row "" "commits per job" "$commits" "≤ 0.1" "**$cmet**" ""
  row "" "CPU while draining after readiness (% of one core; the machine has 200%): Spindle JVM(s) / PostgreSQL / others / all (user+system)" \
    "$(kv cpu_spindle_pct "$line")% / $(kv cpu_postgres_pct "$line")% / $(kv cpu_other_pct "$line")% / $(kv cpu_busy_pct "$line")% — active backends avg $(kv avg_active_backends "$line")" "" "" ""
  row "" "claims (from startedAt: one value per claim)" \
    "$(kv claims "$line") claims, $(kv claim_avg "$line") jobs each on average (p10 $(kv claim_p10 "$line"), p50 $(kv claim_p50 "$line"), p90 $(kv claim_p90 "$line"))" "" "" ""
}

# --- 2. one instance ---------------------------------------------------------------------------
D1=""
if [[ "$SCENARIOS" == *" 2 "* ]]; then
  log "2a. drain by one instance, concurrency 64, claim-batch $DEF_BATCH (default)"
  drain "2a. One instance, concurrency 64, claim-batch $DEF_BATCH (the jar's default)" one64 1; D1=$LINE
  judge_drain "2a" "$D1" "drain of $(fmtn "$JOBS") pre-queued noop jobs, 1 instance, concurrency 64, claim-batch $DEF_BATCH (the jar's default)"
  S1=$STEADY
  log "2b. drain by one instance, concurrency 256, claim-batch 200"
  drain "2b. One instance, concurrency 256, claim-batch 200" one256 1 --spindle.pool.concurrency=256 --spindle.pool.claim-batch=200; D2=$LINE
  judge_drain "2b" "$D2" "same, concurrency 256, claim-batch 200"
fi

# --- 3. three instances ------------------------------------------------------------------------
if [[ "$SCENARIOS" == *" 3 "* ]]; then
  log "3. drain by three instances"
  drain "3. Three instances started together, concurrency 64, claim-batch $DEF_BATCH (default)" three 3; D3=$LINE
  judge_drain "3" "$D3" "same drain, 3 instances started together (n1..n3), concurrency 64, claim-batch $DEF_BATCH (default)"
  if [[ -n "$D1" ]]; then
    row "" "scaling 3 instances vs. 1 (2a)" \
      "×$(calc "$STEADY / $S1" | awk '{printf "%.2f", $1}') (after all ready; jobs finished after the first instance was ready: $(kv finished_after_first_ready "$D3"), after all were: $(kv finished_after_ready "$D3"))" \
      "report (2 cores)" "—" ""
  fi
fi

# --- 4. latency --------------------------------------------------------------------------------
if [[ "$SCENARIOS" == *" 4 "* ]]; then
  log "4. enqueue -> start latency, 2 idle instances"
  new_db latency tpl; db=$DB
  start_instance "$db" 1 n1; p1=$PID; start_instance "$db" 2 n2; p2=$PID
  wait_ready $((PORT + 11)) "$p1"; wait_ready $((PORT + 21)) "$p2"
  # warm-up, not measured: fresh JVMs on 2 cores are still compiling the submit/claim/complete
  # paths (measured: p50 8 ms on the first 1,000 jobs, 2.5 ms on the third); 5 s of load warms them
  wrk -t1 -c8 -d5s -s "$HERE/submit-now.lua" "http://127.0.0.1:$((PORT + 10))/api/v1/jobs" >/dev/null &
  local_wrk=$!
  wrk -t1 -c8 -d5s -s "$HERE/submit-now.lua" "http://127.0.0.1:$((PORT + 20))/api/v1/jobs" >/dev/null
  wait "$local_wrk"   # only this one: a bare wait would wait for the instances too
  sleep 3
  quiet
  lat=$(tool latency --ports $((PORT + 10)),$((PORT + 20)) --nodes n1,n2 --n 1000 --rate 100 --report "$WORK/latency.report")
  during; q=$Q
  stop_instance "$p1"; stop_instance "$p2"
  drop_db "$db"
  met=missed
  awk -v a="$(kv p50_ms "$lat")" 'BEGIN{exit !(a < 20)}' && met=met
  row "4" "enqueue→start (startedAt − createdAt), idle 2-instance cluster, 1,000 REST submits at $(kv offered_rate "$lat")/s round-robin" \
    "p50 $(kv p50_ms "$lat") ms, p99 $(kv p99_ms "$lat") ms, max $(kv max_ms "$lat") ms" "p50 < 20 ms" "**$met**" "$q"
  detail "#### 4. Enqueue→start latency
\`\`\`
$lat
$(cat "$WORK/latency.report")
\`\`\`
cross_node = jobs run by the instance they were not submitted to."
fi

# --- 5. durable submit -------------------------------------------------------------------------
if [[ "$SCENARIOS" == *" 5 "* ]]; then
  log "5. durable submit throughput, one instance"
  new_db submit tpl; db=$DB
  start_instance "$db" 1 n1 --spindle.pool.max-queued=10000000; p1=$PID
  wait_ready $((PORT + 11)) "$p1"
  url="http://127.0.0.1:$((PORT + 10))/api/v1/jobs"
  if bare_on; then
    # the bare anchor runs beside the instance (idle while Spindle is measured, and vice versa)
    (cd "$WORK" && exec "$JAVA" -jar "$WORK/bare.jar" "$BARE_PORT" >"$WORK/bare.log" 2>&1) &
    BARE_PID=$!; PIDS+=("$BARE_PID")
    for _ in $(seq 1 300); do
      curl -fs -o /dev/null "http://127.0.0.1:$BARE_PORT/api/v1/job-types" && break
      kill -0 "$BARE_PID" 2>/dev/null || { log "the bare anchor died at start"; tail -20 "$WORK/bare.log" >&2; exit 1; }
      sleep 0.2
    done
    bare_url="http://127.0.0.1:$BARE_PORT/api/v1/jobs"
  fi
  wrk -t2 -c32 -d5s -s "$HERE/submit-delayed.lua" "$url" >/dev/null   # warm-up, not measured
  if bare_on; then
    # warm-up: longer than Spindle's (a JIT still compiling would flatter the ratio), not measured
    wrk -t2 -c32 -d10s -s "$HERE/submit-delayed.lua" "$bare_url" >/dev/null
    quiet
    wrk -t2 -c32 -d"${DUR}s" --latency -s "$HERE/submit-delayed.lua" "$bare_url" >"$WORK/wrk-bare-before.txt"
    during; qb1=$Q
  fi
  quiet
  rows0=$(sql "$db" "SELECT count(*) FROM spindle.jobs"); sleep 1.5; x0=$(xact "$db")
  wrk -t2 -c32 -d"${DUR}s" --latency -s "$HERE/submit-delayed.lua" "$url" >"$WORK/wrk.txt"
  during; q=$Q
  sleep 1.5; x1=$(xact "$db"); rows1=$(sql "$db" "SELECT count(*) FROM spindle.jobs")
  wrk_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  wrk_non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt"); wrk_non2xx=${wrk_non2xx:-0}
  single_rows=$((rows1 - rows0)); single_commits=$((x1 - x0))
  single_cpj=$(calc "$single_commits / $single_rows" | awk '{printf "%.4f", $1}')
  row "5a" "REST single submit, wrk -t2 -c32 $DUR s, delay P300D (stored, not run)" \
    "$(fmtn "$(calc "$single_rows / $DUR")") rows/s stored (wrk $(fmtn "$wrk_rps") req/s, non-2xx $wrk_non2xx), $single_cpj commits/job" "report" "—" "$q"
  if bare_on; then
    quiet
    wrk -t2 -c32 -d"${DUR}s" --latency -s "$HERE/submit-delayed.lua" "$bare_url" >"$WORK/wrk-bare-after.txt"
    during; qb2=$Q
    stop_instance "$BARE_PID"
    # requests/s answered 2xx/3xx (wrk's rate less its non-2xx share)
    ok_rps() { awk '/requests in/ {n = $1} /Non-2xx/ {bad = $NF} /Requests\/sec/ {r = $2} END {printf "%.0f", (n > 0 ? r * (n - bad) / n : 0)}' "$1"; }
    s_ok=$(ok_rps "$WORK/wrk.txt"); b1=$(ok_rps "$WORK/wrk-bare-before.txt"); b2=$(ok_rps "$WORK/wrk-bare-after.txt")
    bare_mean=$(calc "($b1 + $b2) / 2")
    bare_pct=$(calc "100 * $s_ok / $bare_mean" | awk '{printf "%.0f", $1}')
    met=missed; ge "$bare_pct" 50 && met=met
    row "5a/bare" "anchor: bare Spring MVC app (bench/baseline/, sha256 $BARE_SHA), same wrk script (submit-delayed.lua), -t2 -c32 $DUR s, before and after 5a" \
      "$(fmtn "$b1") / $(fmtn "$b2") req/s (mean $(fmtn "$bare_mean")); **Spindle 5a / bare = $bare_pct %** (2xx req/s $(fmtn "$s_ok"))" "Spindle ≥ 50 % of bare" "**$met**" "before: $qb1; after: $qb2"
  fi
  quiet
  rows0=$(sql "$db" "SELECT count(*) FROM spindle.jobs"); sleep 1.5; x0=$(xact "$db")
  bl=$(tool batch --port $((PORT + 10)) --total 100000 --size 1000 --threads 2)
  during; q=$Q
  sleep 1.5; x1=$(xact "$db"); rows1=$(sql "$db" "SELECT count(*) FROM spindle.jobs")
  batch_rows=$((rows1 - rows0)); batch_commits=$((x1 - x0))
  batch_cpj=$(calc "$batch_commits / $batch_rows" | awk '{printf "%.4f", $1}')
  row "5b" "REST batch submit, 100,000 jobs in batches of 1000, 2 client threads, delay P300D" \
    "$(fmtn "$(kv rows_per_s "$bl")") rows/s ($batch_rows rows incl. 1 warm-up batch; batch p50 $(kv batch_p50_ms "$bl") ms), $batch_cpj commits/job" "report" "—" "$q"
  stop_instance "$p1"
  drop_db "$db"
  detail "#### 5. Durable submit
\`\`\`
$(sed -n '1,20p' "$WORK/wrk.txt")
single submit: rows stored during the $DUR s: $single_rows; commits (pg_stat_database delta): $single_commits
batch: $bl
batch: rows stored: $batch_rows; commits: $batch_commits
\`\`\`"
  if bare_on; then
    detail "#### 5. Bare Spring MVC anchor (before / after Spindle's single-submit run)
\`\`\`
$(sed -n '1,20p' "$WORK/wrk-bare-before.txt")
$(sed -n '1,20p' "$WORK/wrk-bare-after.txt")
\`\`\`"
  fi
fi

# --- 6. db-scheduler anchor --------------------------------------------------------------------
DBS=""
if has 6; then
  log "6. db-scheduler $DBS_VERSION anchor: drain of $DBS_JOBS one-time no-op executions, $DBS_THREADS threads, lock-and-fetch"
  new_db dbscheduler; db=$DB
  "${PG[@]}" -d "$db" -f "$HERE/dbscheduler/postgresql_tables.sql" >/dev/null
  sql "$db" "INSERT INTO scheduled_tasks (task_name, task_instance, execution_time, picked, version, priority)
            SELECT 'noop', 'job-' || i, now() - interval '1 second', false, 1, 0
            FROM generate_series(1, $DBS_JOBS) AS i" >/dev/null
  sql "$db" "VACUUM ANALYZE scheduled_tasks" >/dev/null
  sql postgres "CHECKPOINT" >/dev/null
  quiet
  sleep 1
  x0=$(xact "$db")
  DBS=$("$JAVA" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
          -cp "$WORK/dbscheduler/dbscheduler-drain.jar:$WORK/dbscheduler/lib/*" DbSchedulerDrain \
          --url "jdbc:postgresql://127.0.0.1:5432/$db" --expect "$DBS_JOBS" --threads "$DBS_THREADS" \
          --lower "$DBS_LOWER" --upper "$DBS_UPPER" --timeout 600 2>"$WORK/dbscheduler.log") \
    || { log "db-scheduler drain failed:"; tail -30 "$WORK/dbscheduler.log" >&2; CLUSTER_KEEP=1; exit 1; }
  during; q=$Q
  sleep 1.5   # the pool is closed: every backend has exited and flushed its statistics
  x1=$(xact "$db")
  dbs_commits=$((x1 - x0 - $(kv tool_statements "$DBS")))
  dbs_cpj=$(calc "$dbs_commits / $DBS_JOBS" | awk '{printf "%.4f", $1}')
  DBS+=" commits=$dbs_commits commits_per_job=$dbs_cpj"
  DBS_RATE=$(kv rate_steady "$DBS")
  drop_db "$db"
  row "6" "anchor: db-scheduler $DBS_VERSION (core, plain Java, HikariCP), $(fmtn "$DBS_JOBS") pre-inserted one-time no-op executions, $DBS_THREADS threads, lock-and-fetch ($DBS_LOWER, $DBS_UPPER), fresh database" \
    "$(fmtn "$DBS_RATE") jobs/s after the first 5 % (from the first execution: $(fmtn "$(kv rate_from_first "$DBS")"); from start: $(fmtn "$(kv rate_from_start "$DBS")")), $dbs_cpj commits/job" \
    "anchor (MACHINE.md: ~4,800–6,900, 1.0 commits/job)" "—" "$q"
  detail "#### 6. db-scheduler anchor
\`\`\`
$DBS
\`\`\`
Commits = pg_stat_database.xact_commit delta of the database from before the scheduler starts to after its pool is closed, less the drain program's own count(*) polls at the end (tool_statements)."
fi

# --- anchors: Spindle's drain against the references of the same run ---------------------------
if [[ -n "$D1" ]] && { [[ -n "$RAW" ]] || [[ -n "$DBS" ]]; }; then
  if [[ -n "$DBS" ]]; then
    x=$(calc "$S1 / $DBS_RATE" | awk '{printf "%.2f", $1}')
    met=missed; ge "$x" 2 && met=met
    row "2a/6" "**Spindle's drain (2a) / db-scheduler (6)**: $(fmtn "$S1") / $(fmtn "$DBS_RATE") jobs/s" "×$x" "≥ ×2" "**$met**" ""
  fi
  if [[ -n "$RAW" ]]; then
    x=$(calc "100 * $S1 / $RAW" | awk '{printf "%.0f", $1}')
    met=missed; ge "$x" 70 && met=met
    row "2a/1" "**Spindle's drain (2a) / raw JDBC anchor (1)**: $(fmtn "$S1") / $(fmtn "$RAW") jobs/s" "$x %" "≥ 70 %" "**$met**" ""
  fi
  c=$(kv commits_per_job "$D1")
  met=missed; ge 0.05 "$c" && met=met
  row "2a" "**Spindle's commits per job (2a)**$([[ -n "$DBS" ]] && echo "; db-scheduler (6): $dbs_cpj")" "$c" "≤ 0.05" "**$met**" ""
fi

drop_db "$TPL"

# --- report ------------------------------------------------------------------------------------
PGV=$(sql postgres "SHOW server_version")
JV=$("$JAVA" -version 2>&1 | head -1)
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo "?")
{
  echo "### Spindle cluster benchmarks (PostgreSQL), $STAMP"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $JV; PostgreSQL $PGV (127.0.0.1, synchronous_commit $(sql postgres 'SHOW synchronous_commit')); jar $SRC_JAR (modified $JAR_TIME, sha256 $JAR_SHA; defaults: concurrency $DEF_CONC, claim-batch $DEF_BATCH; the repository's HEAD at run time was $REV); $JOBS jobs per drain; run took $(( $(date +%s) - SCRIPT_START )) s."
  echo
  echo "| # | scenario | figure | target | result | machine: before / during the run |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Jobs/s of a drain = jobs finished after every instance was ready ÷ (last finishedAt − that moment); the pool starts before the web server, so some jobs finish before readiness. Commits per job = pg_stat_database.xact_commit delta (read-only transactions included) from before the start to after the stop of the instances, less the watcher's own statements, ÷ jobs."
  echo
  printf '%s\n\n' "${DETAILS[@]}"
} >"$OUT"
cat "$OUT"
log "results written to $OUT"
