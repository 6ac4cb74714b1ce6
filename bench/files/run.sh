#!/usr/bin/env bash
# files benchmark (issue 17): the files job's checksum over a tree against coreutils, same run,
# warm page cache:
#
#   bench/files/run.sh
#
# Makes a tree (bench/files/MakeTree.java: 10,000 small files and a 100 MB file), reads it once so
# that it is in the page cache, then BENCH_RUNS times each, alternating:
#   reference  find DIR -type f -print0 | xargs -0 -P <cores> sha256sum > /dev/null
#   spindle    a files job {operation: checksum, parallelism: <cores>} on the packaged jar (SQLite
#              store), timed from its submit to its end (a long-poll), its output stored as it goes
# Target: spindle >= 80 % of the reference's speed (reference time / spindle time).
# Prints a markdown block and writes it to bench/results/files-<UTC time>.md (or $BENCH_OUT).
#
# Environment (all optional): BENCH_JAVA_HOME (JDK 25), SPINDLE_JAR (default target/spindle-*.jar,
# built if missing), BENCH_RUNS (default 5), BENCH_FILES (10000), BENCH_LARGE_MB (100),
# BENCH_PORT (default 18094; management +1), BENCH_OUT.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JDK=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JDK/bin/java"
RUNS=${BENCH_RUNS:-5}
FILES=${BENCH_FILES:-10000}
LARGE_MB=${BENCH_LARGE_MB:-100}
PORT=${BENCH_PORT:-18094}
MPORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
CORES=$(nproc)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/bench/results/files-$STAMP.md}

log() { printf '[files %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in curl jq sha256sum xargs find; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
JAR=${SPINDLE_JAR:-$(ls "$ROOT"/target/spindle-*.jar 2>/dev/null | head -1 || true)}
if [[ -z "$JAR" ]]; then
  log "building the jar"
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -q -B package -DskipTests)
  JAR=$(ls "$ROOT"/target/spindle-*.jar | head -1)
fi

WORK=$(mktemp -d /tmp/spindle-files-bench.XXXXXX)
TREE="$WORK/tree"
SVC_PID=""
cleanup() {
  if [[ -n "$SVC_PID" ]]; then kill "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

log "making the tree: $FILES files and a $LARGE_MB MB file"
"$JAVA" "$HERE/MakeTree.java" "$TREE" "$FILES" "$LARGE_MB"
BYTES=$(du -sb "$TREE" | cut -f1)
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null

mkdir -p "$WORK/service"
(cd "$WORK/service" && exec "$JAVA" -jar "$JAR" --server.port="$PORT" --management.server.port="$MPORT" \
    --spindle.tcp.port=0 --spindle.files.roots.bench="$TREE" --spindle.output.max-size=256MB \
    > "$WORK/service/service.log" 2>&1) &
SVC_PID=$!
t0=$SECONDS
until curl -sf "http://127.0.0.1:$MPORT/actuator/health" 2>/dev/null | grep -q '"status":"UP"'; do
  if ! kill -0 "$SVC_PID" 2>/dev/null; then tail -n 30 "$WORK/service/service.log" >&2; exit 1; fi
  if (( SECONDS - t0 > 120 )); then echo "bench: the service is not healthy after 120 s" >&2; exit 1; fi
  sleep 0.2
done

reference() {
  local t0
  t0=$(now_ms)
  find "$TREE" -type f -print0 | xargs -0 -P "$CORES" sha256sum > /dev/null
  echo $(( $(now_ms) - t0 ))
}

spindle() {
  local t0 id state
  t0=$(now_ms)
  id=$(curl -sf -X POST "$BASE/api/v1/jobs" -H 'Content-Type: application/json' \
      -d "{\"type\": \"files\", \"timeout\": \"PT10M\", \"payload\": {\"root\": \"bench\", \"operation\": \"checksum\", \"parallelism\": $CORES}}" \
      | jq -r .id)
  state=$(curl -sf "$BASE/api/v1/jobs/$id?wait=PT60S" | jq -r .state)
  local elapsed=$(( $(now_ms) - t0 ))
  [[ "$state" == "SUCCEEDED" ]] || { echo "bench: the job ended $state" >&2; exit 1; }
  echo "$elapsed"
}

log "warm-up"
reference > /dev/null
spindle > /dev/null
REF=()
SPN=()
for run in $(seq 1 "$RUNS"); do
  REF+=("$(reference)")
  SPN+=("$(spindle)")
  log "run $run: reference ${REF[-1]} ms, spindle ${SPN[-1]} ms"
done
ref=$(echo "${REF[*]}" | median)
spn=$(echo "${SPN[*]}" | median)
ratio=$(awk -v r="$ref" -v s="$spn" 'BEGIN { printf "%.0f", 100 * r / s }')
verdict=$([[ $ratio -ge 80 ]] && echo met || echo MISSED)

REPORT="### files: checksum over a tree against find | xargs -P $CORES sha256sum — $(date -u +%Y-%m-%d)

- machine: $CORES cores, $("$JAVA" -version 2>&1 | head -1), $(sha256sum --version | head -1); jar $(basename "$JAR") ($(sha256sum "$JAR" | cut -c1-12))
- tree: $FILES files and one $LARGE_MB MB file, $BYTES bytes, in the page cache; $RUNS runs each, alternating, medians

| | time (ms) | runs (ms) |
|---|---:|---|
| \`find … -print0 \\| xargs -0 -P $CORES sha256sum\` | $ref | ${REF[*]} |
| files job, checksum, parallelism $CORES (submit to end, output stored) | $spn | ${SPN[*]} |

Spindle at **$ratio %** of the reference's speed (target ≥ 80 %: $verdict).
"
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$REPORT" | tee "$OUT"
