package dev.spindle.memory;

import java.lang.management.ManagementFactory;
import java.time.Duration;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code /actuator/memory} and the {@code memory} health component of a node that is not under pressure. */
@SpindleTest
class MemoryEndpointTests {

    @Value("${local.management.port}")
    int managementPort;

    @Test
    void showsHeapCollectorsSamplesAndThePressureState() {
        Api management = new Api(managementPort);
        // the default sample interval is 5 s: wait for the second sample, which has a rate
        await().atMost(Duration.ofSeconds(20))
            .until(() -> management.get("/actuator/memory").body().path("samples").size() >= 2);
        // a collection the GC notifications report
        System.gc();
        await().atMost(Duration.ofSeconds(10)).until(() -> management.get("/actuator/memory")
            .body()
            .path("gc")
            .valueStream()
            .anyMatch(collector -> collector.path("lastMillis").isNumber()));

        JsonNode memory = management.get("/actuator/memory").body();

        assertThat(memory.at("/heap/used").asLong()).isPositive();
        assertThat(memory.at("/heap/max").asLong()).isEqualTo(Runtime.getRuntime().maxMemory());
        assertThat(memory.at("/heap/committed").asLong()).isGreaterThanOrEqualTo(memory.at("/heap/used").asLong());
        assertThat(memory.at("/nonHeap/used").asLong()).isPositive();
        assertThat(memory.path("gc").valueStream().map(collector -> collector.path("name").asString()))
            .containsExactlyElementsOf(ManagementFactory.getGarbageCollectorMXBeans().stream().map(bean -> bean.getName()).toList());
        assertThat(memory.path("gc").valueStream().mapToLong(collector -> collector.path("count").asLong()).sum()).isPositive();
        JsonNode samples = memory.path("samples");
        assertThat(samples.get(0).path("allocationRate").asLong()).isEqualTo(-1);
        assertThat(samples.get(1).path("allocationRate").asLong()).isPositive();
        assertThat(samples.get(1).path("heapUsed").asLong()).isPositive();
        assertThat(samples.size()).isLessThanOrEqualTo(120);
        assertThat(memory.path("allocationRate").asLong()).isPositive();

        JsonNode pressure = memory.path("pressure");
        assertThat(pressure.path("underPressure").asBoolean()).isFalse();
        assertThat(pressure.path("shedding").asBoolean()).isFalse();
        assertThat(pressure.path("shedLoad").asBoolean()).isTrue();
        assertThat(pressure.path("threshold").asDouble()).isEqualTo(0.90);
        assertThat(pressure.path("recoveryThreshold").asDouble()).isEqualTo(0.80);
        assertThat(pressure.at("/lastAfterGc/fraction").asDouble()).isBetween(0.0, 0.90);
    }

    @Test
    void readinessIncludesMemoryWhichIsUpWithoutPressure() {
        JsonNode readiness = new Api(managementPort).get("/actuator/health/readiness").body();
        assertThat(readiness.at("/components/memory/status").asString()).isEqualTo("UP");
        assertThat(readiness.at("/components/memory/details/threshold").asDouble()).isEqualTo(0.90);
        assertThat(new Api(managementPort).get("/actuator/prometheus").raw().body()).contains("spindle_memory_pressure 0.0");
    }
}
