#!/usr/bin/env bash
# JMH: does the files job gain from reusing its read buffers? (fresh per file / shared pool / per thread)
# Usage: bench/files/buffers.sh   (needs JDK 25; results in target/buffer-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -q -B -f bench/files/jmh/pom.xml package -DskipTests
mkdir -p target
"$JAVA_HOME/bin/java" -jar bench/files/jmh/target/benchmarks.jar -rf text -rff target/buffer-bench.txt "$@"
cat target/buffer-bench.txt
