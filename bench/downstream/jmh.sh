#!/usr/bin/env bash
# Issue 4, benchmark 1: the cost of the Resilience4j guards per call (JMH), see docs/benchmarks.md,
# "Downstream calls (issue 4)". About 20 minutes with the defaults (3 runs x 1 and 2 threads; JMH_FILTER
# narrows it, e.g. 'GuardsBenchmark\.(bare|guarded.*)$').
#
#   bench/downstream/jmh.sh
#
# Compiles bench/downstream/jmh/**/*.java with javac and JMH's annotation processor against the
# classes and libraries of the packaged jar (copied and unpacked in a temporary directory, so a
# rebuild of target/ while it runs changes nothing, and `./mvnw verify` never sees these sources),
# then runs JMH JMH_RUNS times with 1 and with 2 threads and prints the median of the runs.
#
# Environment (all optional):
#   BENCH_JAVA_HOME  JDK 25+ (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   SPINDLE_JAR      benchmark this jar instead of target/spindle-*.jar
#   BENCH_REV        build this commit (e.g. HEAD) from a clean `git archive` export and benchmark
#                    it, untouched by uncommitted edits in the work tree
#   JMH_RUNS         repeats of the whole set (default 3; the report gives the median run)
#   JMH_THREADS      thread counts (default "1 2")
#   JMH_FILTER       benchmark regex (default GuardsBenchmark)
#   JMH_OPTS         JMH options (default "-f 2 -wi 3 -w 1s -i 5 -r 1s")
#   BENCH_QUIET_WAIT before each run, wait up to this many seconds (default 300) until the 1-minute
#                    load average is below 1.0 or the CPU is at least 90 % idle for a second
#   BENCH_KEEP=1     keep the temporary directory (JMH logs)
#   BENCH_OUT        results file (default bench/results/jmh-<UTC time>.md)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=${JMH_RUNS:-3}
THREADS=${JMH_THREADS:-1 2}
FILTER=${JMH_FILTER:-GuardsBenchmark}
OPTS=${JMH_OPTS:--f 2 -wi 3 -w 1s -i 5 -r 1s}
JMH_VERSION=1.37
M2=${MAVEN_REPO:-$HOME/.m2/repository}

log() { printf '[jmh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

WORK=$(mktemp -d /tmp/spindle-jmh.XXXXXX)
trap 'if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
# shellcheck source=common.sh
source "$HERE/common.sh"

# --- the jar, unpacked: its classes and libraries are the class path -----------------------------
resolve_jar
(cd "$WORK" && unzip -q spindle.jar 'BOOT-INF/*')

# --- JMH from the local Maven repository (fetched from Maven Central once) ------------------------
jmh_jars() {
  echo "$M2/org/openjdk/jmh/jmh-core/$JMH_VERSION/jmh-core-$JMH_VERSION.jar:$M2/org/openjdk/jmh/jmh-generator-annprocess/$JMH_VERSION/jmh-generator-annprocess-$JMH_VERSION.jar:$M2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar:$M2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
}
for j in $(jmh_jars | tr : ' '); do
  if [[ ! -f "$j" ]]; then
    log "fetching JMH $JMH_VERSION into $M2"
    (cd "$ROOT" && ./mvnw -B -q dependency:get -Dartifact=org.openjdk.jmh:jmh-core:$JMH_VERSION \
      && ./mvnw -B -q dependency:get -Dartifact=org.openjdk.jmh:jmh-generator-annprocess:$JMH_VERSION) >&2
    break
  fi
done
CP="$WORK/BOOT-INF/classes:$WORK/BOOT-INF/lib/*:$(jmh_jars)"

log "compiling $(find "$HERE/jmh" -name '*.java' | wc -l) benchmark source(s)"
mkdir -p "$WORK/bench"
"$JDK/bin/javac" -proc:full -processorpath "$(jmh_jars)" -cp "$CP" -d "$WORK/bench" \
  $(find "$HERE/jmh" -name '*.java')
CP="$WORK/bench:$CP"

# --- runs -----------------------------------------------------------------------------------------
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
: > "$WORK/all.csv"
: > "$WORK/quiet.txt"
for run in $(seq 1 "$RUNS"); do
  for t in $THREADS; do
    wait_quiet
    echo "run $run, $t thread(s): $QUIET_SEEN" >> "$WORK/quiet.txt"
    log "run $run of $RUNS, $t thread(s): $FILTER $OPTS"
    # shellcheck disable=SC2086
    "$JAVA" -cp "$CP" org.openjdk.jmh.Main "$FILTER" $OPTS -t "$t" -rf csv -rff "$WORK/r.csv" \
      > "$WORK/run-$run-$t.log" 2>&1 || { tail -40 "$WORK/run-$run-$t.log" >&2; exit 1; }
    if grep -q '<failure>' "$WORK/run-$run-$t.log"; then
      grep -v '^\s*at ' "$WORK/run-$run-$t.log" | grep -A12 -m1 '<failure>' >&2; log "a benchmark failed (BENCH_KEEP=1 keeps the log)"; exit 1
    fi
    grep -ho '# [a-z]* instances:.*' "$WORK/run-$run-$t.log" | sort -u >> "$WORK/instances.txt" || true
    # "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"[,"Param: limitForPeriod"]
    tail -n +2 "$WORK/r.csv" | tr -d '"\r' | awk -F, -v run="$run" '{ sub(/^.*GuardsBenchmark\./, "", $1); if ($8 ~ /[0-9]/) $1 = $1 " (limit " $8 ")"; if ($7 != "ns/op") $1 = $1 " [" $7 "]"; print run "," $1 "," $3 "," $5 "," $6 }' >> "$WORK/all.csv"
    grep -E '^(Benchmark|GuardsBenchmark)' "$WORK/run-$run-$t.log" | tail -n 20 >&2 || true
  done
done

# --- report: per benchmark and thread count, the median run (its score and error) ----------------
REPORT=$(
  echo "### Resilience4j guards per call (JMH) — $(date -u +%Y-%m-%d)"
  echo
  echo "- started $START; jar sha256 $JAR_SHA ($JAR_NOTE)"
  echo "- machine: $(machine_line)"
  echo "- JMH $JMH_VERSION, \`$OPTS\`, average time; median of $RUNS runs (the error is JMH's 99.9 % interval of that run); all runs: min–max"
  echo
  echo "| benchmark | threads | ns/op, or [unit] (median run) | ± error | all runs | minus bare |"
  echo "|---|---:|---:|---:|---|---:|"
  sort -t, -k2,2 -k3,3n -k4,4g "$WORK/all.csv" | awk -F, -v runs="$RUNS" '
    { key = $2 "," $3; n[key]++; s[key, n[key]] = $4; e[key, n[key]] = $5; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
    END {
      for (i = 1; i <= k; i++) { key = order[i]; m = int((n[key] + 1) / 2); med[key] = s[key, m]; err[key] = e[key, m] }
      for (i = 1; i <= k; i++) {
        key = order[i]; split(key, p, ","); b = "bare," p[2]
        diff = (p[1] == "bare" || !(b in med)) ? "" : sprintf("%.1f", med[key] - med[b])
        printf "| %s | %s | %.1f | %.1f | %.1f–%.1f | %s |\n", p[1], p[2], med[key], err[key], s[key, 1], s[key, n[key]], diff
      }
    }'
  echo
  echo "Instances (printed by the benchmark in each fork):"
  echo
  sort -u "$WORK/instances.txt" | sed 's/^# /- /'
  echo
  echo "Machine before each run:"
  echo
  sed 's/^/- /' "$WORK/quiet.txt"
)
OUT=${BENCH_OUT:-$ROOT/bench/results/jmh-$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$OUT")"
{ echo "$REPORT"; echo; echo '<details><summary>raw (run,benchmark,threads,score,error)</summary>'; echo; echo '```'; cat "$WORK/all.csv"; echo '```'; echo '</details>'; } > "$OUT"
echo "$REPORT"
log "results written to $OUT"
