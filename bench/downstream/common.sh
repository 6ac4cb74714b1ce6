# Shared by bench/downstream/jmh.sh and bench/downstream/run.sh (sourced, not run).
# Needs: ROOT (the repository), WORK (a temporary directory), a log() function.

# --- JDK 25 ---------------------------------------------------------------------------------------
JDK=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[[ -x "$JDK/bin/java" ]] || { echo "bench: no JDK at $JDK; set BENCH_JAVA_HOME" >&2; exit 1; }
export JAVA_HOME=$JDK
JAVA="$JDK/bin/java"

# --- the jar --------------------------------------------------------------------------------------
# resolve_jar: copies the jar to measure to $WORK/spindle.jar and sets JAR, JAR_SHA and JAR_NOTE.
# SPINDLE_JAR=<jar>, or BENCH_REV=<commit> (a clean `git archive` build, untouched by uncommitted
# edits), or else target/spindle-*.jar (built with ./mvnw -B -q -DskipTests package if missing).
resolve_jar() {
  local src=""
  if [[ -n "${SPINDLE_JAR:-}" ]]; then
    src=$SPINDLE_JAR
    JAR_NOTE="SPINDLE_JAR"
  elif [[ -n "${BENCH_REV:-}" ]]; then
    local rev
    rev=$(git -C "$ROOT" rev-parse --verify "${BENCH_REV}^{commit}")
    log "building commit ${rev:0:7} from a clean export (git archive) in $WORK/src"
    mkdir -p "$WORK/src" && git -C "$ROOT" archive "$rev" | tar -x -C "$WORK/src"
    (cd "$WORK/src" && ./mvnw -B -q -DskipTests package) >&2
    src=$(ls "$WORK"/src/target/spindle-*.jar | grep -v -- '-sources\|-javadoc\|\.original' | head -n1)
    JAR_NOTE="commit ${rev:0:7}, clean build"
  else
    src=$(ls "$ROOT"/target/spindle-*.jar 2>/dev/null | grep -v -- '-sources\|-javadoc\|\.original' | head -n1 || true)
    if [[ -z "$src" ]]; then
      log "building the jar (./mvnw -B -q -DskipTests package)"
      (cd "$ROOT" && ./mvnw -B -q -DskipTests package) >&2
      src=$(ls "$ROOT"/target/spindle-*.jar | grep -v -- '-sources\|-javadoc\|\.original' | head -n1)
    fi
    JAR_NOTE="target/ of the work tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    if [[ -n $(git -C "$ROOT" status --porcelain -- src pom.xml 2>/dev/null) ]]; then JAR_NOTE="$JAR_NOTE, src has uncommitted changes"; fi
  fi
  # a private copy: a rebuild of target/ while the benchmark runs changes nothing
  cp "$src" "$WORK/spindle.jar"
  JAR="$WORK/spindle.jar"
  JAR_SHA=$(sha256sum "$JAR" | cut -c1-12)
  log "jar: $src (sha256 $JAR_SHA; $JAR_NOTE)"
}

# --- a quiet machine ------------------------------------------------------------------------------
# cpu_idle_pct: the idle share of the CPU over one second
cpu_idle_pct() {
  local a b total=0 i
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( 100 * (b[4] - a[4] + b[5] - a[5]) / (total > 0 ? total : 1) ))
}

# wait_quiet: waits until the 1-minute load average is below 1.0 or the CPU is at least 90 % idle
# for a second (at most BENCH_QUIET_WAIT seconds, default 300); QUIET_SEEN says what it saw.
wait_quiet() {
  local t0=$SECONDS load idle
  while true; do
    load=$(cut -d' ' -f1 /proc/loadavg); idle=$(cpu_idle_pct)
    if awk -v l="$load" -v i="$idle" 'BEGIN { exit !(l < 1.0 || i >= 90) }'; then break; fi
    if (( SECONDS - t0 >= ${BENCH_QUIET_WAIT:-300} )); then
      log "the machine is still busy (load $load, idle $idle %); measuring anyway"
      break
    fi
    sleep 4
  done
  QUIET_SEEN="load average $load, CPU idle $idle % over 1 s (waited $((SECONDS - t0)) s)"
  log "quiet enough: $QUIET_SEEN"
}

machine_line() {
  echo "$(nproc) cores ($(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')), $(free -g | awk '/^Mem:/ { print $2 " GiB" }'), $(uname -sr); $("$JAVA" -version 2>&1 | sed -n 2p)"
}
