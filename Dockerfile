# syntax=docker/dockerfile:1
# Spindle's container image: built with the Maven wrapper on a JDK 25, run from the extracted
# layered jar on a JRE 25 as a non-root user. deploy/check-image-layout.sh replays the extract,
# the AOT training and the start below without Docker (run by ImageLayoutIT in ./mvnw verify).

FROM eclipse-temurin:25-jdk AS build
WORKDIR /build
# The wrapper and the POM first: the dependency download is a layer of its own, reused until the
# POM changes.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q -DskipTests package \
 && cp target/spindle-*.jar spindle.jar \
 && java -Djarmode=tools -jar spindle.jar extract --layers --destination extracted

FROM eclipse-temurin:25-jre
# A fixed numeric uid, so Kubernetes can check runAsNonRoot without a user database.
RUN groupadd --system --gid 10001 spindle \
 && useradd --system --uid 10001 --gid spindle --home-dir /app --no-create-home --shell /usr/sbin/nologin spindle
WORKDIR /app
# One layer per Boot layer, least changed first: a new build of the code ships only the last ones.
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
COPY --chmod=0755 deploy/entrypoint.sh ./
# The AOT cache must be made by the JRE and from the files that will run it, so it is trained
# here, in the runtime stage (start to readiness 3.3 s -> 2.1 s, docs/benchmarks.md). The embedded SQLite
# store lives in /app/data, a volume writable by the spindle user; the rest of /app is read-only
# to it (Kubernetes runs the image with a read-only root filesystem and a writable /tmp).
RUN ./entrypoint.sh --train-aot-cache \
 && rm -rf data /tmp/* \
 && mkdir data && chown spindle:spindle data
USER 10001:10001
VOLUME /app/data
# 8080 REST API, 7379 Redis protocol (RESP), 8081 Actuator (health probes, Prometheus)
EXPOSE 8080 7379 8081
ENTRYPOINT ["/app/entrypoint.sh"]
