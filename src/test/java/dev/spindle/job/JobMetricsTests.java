package dev.spindle.job;

import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** The job meters follow the jobs run, and Prometheus shows them with their tags and histogram buckets. */
@SpindleTest
class JobMetricsTests {

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    @Autowired
    JobHandlers handlers;

    @Autowired
    MeterRegistry meters;

    @Test
    void countsAndTimersFollowTheJobs() {
        double submitted = counter("spindle.jobs.submitted", "noop");
        double succeeded = completed("noop", "succeeded");
        long runs = meters.get("spindle.jobs.run").tag("type", "noop").timer().count();
        Api api = new Api(port);

        List<String> ids = IntStream.range(0, 5).mapToObj(i -> api.submit("{\"type\": \"noop\"}")).toList();
        ids.forEach(api::awaitTerminal);
        String failed = api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"timeout\": \"PT0.1S\", \"maxAttempts\": 1}");
        api.awaitTerminal(failed);

        assertThat(counter("spindle.jobs.submitted", "noop") - submitted).isEqualTo(5);
        assertThat(completed("noop", "succeeded") - succeeded).isEqualTo(5);
        assertThat(meters.get("spindle.jobs.run").tag("type", "noop").timer().count() - runs).isEqualTo(5);
        assertThat(completed("sleep", "failed")).isPositive();
        assertThat(meters.get("spindle.jobs.wait").tag("type", "noop").timer().count()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void prometheusShowsTheMetersWithBoundedTagsAndBuckets() {
        Api api = new Api(port);
        api.awaitTerminal(api.submit("{\"type\": \"noop\"}"));

        String text = new Api(managementPort).get("/actuator/prometheus").raw().body();

        assertThat(text).contains("spindle_jobs_submitted_total{type=\"noop\"}")
            .contains("spindle_jobs_completed_total{outcome=\"succeeded\",type=\"noop\"}")
            .contains("spindle_jobs_completed_total{outcome=\"deferred\",type=\"http\"}")
            .contains("spindle_jobs_wait_seconds_bucket{type=\"noop\",le=")
            .contains("spindle_jobs_run_seconds_bucket{type=\"noop\",le=")
            .contains("spindle_pool_running ")
            .contains("spindle_pool_queued ")
            .contains("spindle_pool_concurrency 64.0");
        assertThat(text.lines().filter(line -> line.startsWith("spindle_jobs_completed_total{"))
            .map(line -> line.replaceAll(".*type=\"([^\"]+)\".*", "$1")).distinct())
            .as("type tags are the registered types and 'other'")
            .allSatisfy(type -> assertThat(type).isIn(Stream
                .concat(handlers.all().stream().map(JobHandler::type), Stream.of("other"))
                .toList()));
    }

    @Test
    void theWorkerPoolEndpointShowsThePoolAndEachTypesCountsAndPercentiles() {
        Api api = new Api(port);
        Api management = new Api(managementPort);
        long before = management.get("/actuator/workerpool").body().path("types").path("noop").path("submitted").asLong();

        IntStream.range(0, 3).mapToObj(i -> api.submit("{\"type\": \"noop\"}")).toList().forEach(api::awaitTerminal);
        String slow = api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"timeout\": \"PT0.1S\", \"maxAttempts\": 1}");
        api.awaitTerminal(slow);

        var view = management.get("/actuator/workerpool").body();
        assertThat(view.path("concurrency").asInt()).isEqualTo(64);
        assertThat(view.path("node").asString()).isEqualTo("test-node");
        assertThat(view.has("running")).isTrue();
        assertThat(view.has("queued")).isTrue();
        assertThat(view.has("rejected")).isTrue();
        var noop = view.path("types").path("noop");
        assertThat(noop.path("submitted").asLong() - before).isEqualTo(3);
        assertThat(noop.path("completed").path("succeeded").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(noop.path("run").path("count").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(noop.path("queueWait").path("p99Ms").asDouble()).isGreaterThanOrEqualTo(noop.path("queueWait").path("p50Ms").asDouble());
        var sleep = view.path("types").path("sleep");
        assertThat(sleep.path("timedOut").asLong()).isPositive();
        assertThat(sleep.path("run").path("p50Ms").asDouble()).isGreaterThanOrEqualTo(90);
    }

    @Test
    void everyLineAJobLogsCarriesItsId() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
            .getLogger("dev.spindle.test.LoggingJob");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            Api api = new Api(port);
            List<String> ids = IntStream.range(0, 3).mapToObj(i -> api.submit("{\"type\": \"log\", \"payload\": {\"n\": " + i + "}}")).toList();
            ids.forEach(api::awaitTerminal);

            assertThat(lines.list).hasSize(3);
            for (var line : lines.list) {
                String n = line.getFormattedMessage().replaceAll(".*\"n\":(\\d+).*", "$1");
                assertThat(line.getMDCPropertyMap()).containsEntry("jobId", ids.get(Integer.parseInt(n)));
            }
        }
        finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void livenessLooksAtThePoolsDispatcherAndNotTheStore() {
        var liveness = new Api(managementPort).get("/actuator/health/liveness").body();

        assertThat(liveness.path("status").asString()).isEqualTo("UP");
        assertThat(liveness.path("components").path("pool").path("status").asString()).isEqualTo("UP");
        assertThat(liveness.path("components").path("pool").path("details").path("started").asBoolean()).isTrue();
        assertThat(liveness.path("components").has("db")).isFalse();
    }

    private double counter(String name, String type) {
        return meters.get(name).tag("type", type).counter().count();
    }

    private double completed(String type, String outcome) {
        return meters.get("spindle.jobs.completed").tag("type", type).tag("outcome", outcome).counter().count();
    }
}
