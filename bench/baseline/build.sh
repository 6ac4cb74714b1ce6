#!/usr/bin/env bash
# Prints the path of the bare Spring MVC anchor's jar (bench/baseline/target/bare-anchor.jar),
# building it first with the project's Maven wrapper when it is missing or older than its sources:
#
#   JAVA_HOME=<JDK 25> bench/baseline/build.sh
#
# Used by bench/run.sh and bench/cluster/run.sh (which copy the jar into their work directory).
# Needs only JDK 25 and Maven Central. Build output goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR="$HERE/target/bare-anchor.jar"
if [[ ! -f "$JAR" || -n $(find "$HERE/pom.xml" "$HERE/src" -newer "$JAR" -type f 2>/dev/null | head -1) ]]; then
  echo "building the bare anchor ($HERE/pom.xml)" >&2
  "$ROOT/mvnw" -f "$HERE/pom.xml" -q -B package >&2
fi
echo "$JAR"
