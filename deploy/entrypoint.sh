#!/bin/sh
# The container image's entrypoint, run from the image's working directory (/app), where the
# layered jar is extracted: spindle.jar, lib/, and app.aot once trained.
#
# The JVM flags of every Spindle started from the image are here, once: the Dockerfile's AOT
# training step, the ENTRYPOINT and deploy/check-image-layout.sh all run this file, so the flags
# cannot drift apart. Add flags with JAVA_OPTS, change the heap share with JVM_MAX_RAM_PERCENTAGE;
# pass Spring properties as arguments or as environment variables (SPRING_DATASOURCE_URL,
# SPINDLE_POOL_CONCURRENCY, ...).
set -eu

# Heap as a share of the container's memory limit, so the same image fits a 512 MiB and an 8 GiB
# pod; the rest is metaspace, code cache, direct buffers and thread stacks. A JVM that runs out of
# heap exits, so the orchestrator restarts it, instead of limping on.
flags="-XX:MaxRAMPercentage=${JVM_MAX_RAM_PERCENTAGE:-75.0} -XX:+ExitOnOutOfMemoryError"

if [ "${1:-}" = "--train-aot-cache" ]; then
  shift
  # JDK 25 AOT cache (JEP 483/514/515): start the application up to the refreshed context, which
  # loads and links the classes a real start needs, record them in app.aot, and exit. Lifecycle
  # beans (store migrations, worker pool, listeners) do not start, so no database is needed.
  # A fixed -Xmx keeps compressed oops, as in any container under 32 GiB: a cache trained on a
  # big build host with a large heap would be refused by every container.
  # shellcheck disable=SC2086
  exec java $flags -Xmx1g -XX:AOTCacheOutput=app.aot -Dspring.context.exit=onRefresh ${JAVA_OPTS:-} \
    -jar spindle.jar "$@"
fi

aot=""
if [ -f app.aot ]; then
  aot="-XX:AOTCache=app.aot"
fi
# exec: java becomes PID 1 and receives SIGTERM itself, so the graceful drain runs.
# shellcheck disable=SC2086
exec java $flags $aot ${JAVA_OPTS:-} -jar spindle.jar "$@"
