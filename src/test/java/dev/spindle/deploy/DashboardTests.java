package dev.spindle.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Grafana dashboard shipped in the chart (and mounted by docker compose) asks Prometheus only
 * for series that Spindle really exports, through the dashboard's data source variable.
 */
@SpindleTest
@TestPropertySource(properties = "spindle.downstreams.dashboard.base-url=http://127.0.0.1:9")
class DashboardTests {

    static final Path DASHBOARD = Path.of("helm/spindle/dashboards/spindle.json");

    /** The meters the dashboard must show (issue 6). */
    static final List<String> REQUIRED = List.of("spindle_jobs_submitted_total", "spindle_jobs_completed_total",
            "spindle_jobs_wait_seconds_bucket", "spindle_jobs_run_seconds_bucket", "spindle_jobs_rejected_total",
            "spindle_jobs_timeouts_total", "spindle_pool_running", "spindle_pool_queued", "spindle_pool_concurrency",
            "resilience4j_circuitbreaker_state", "jvm_memory_used_bytes", "jvm_memory_max_bytes",
            "jvm_gc_pause_seconds_sum", "jvm_gc_pause_seconds_max", "spindle_tcp_connections", "spindle_memory_pressure",
            "httpcomponents_httpclient_pool_total_connections", "spindle_queue_queued", "spindle_queue_due",
            "spindle_queue_held_back", "spindle_queue_running", "spindle_queue_waiting", "spindle_queue_paused",
            "spindle_schedules_fires_total", "spindle_schedules_lag_seconds_max", "spindle_schedules_count");

    private static final Pattern SERIES = Pattern.compile("\\b((?:spindle|jvm|resilience4j|httpcomponents|process|http|hikaricp|tomcat|system)_[a-z0-9_]+)");

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    @Test
    void everyPanelQueriesSeriesThatAScrapeContains() {
        Api api = new Api(port);
        api.awaitTerminal(api.submit("{\"type\": \"noop\"}"));
        api.awaitTerminal(api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 5}}"));
        // a schedule's meters appear with its first fire
        assertThat(api.post("/api/v1/schedules", """
                {"name": "dashboard", "cron": "* * * * * *", "job": {"type": "noop"}}""").status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> api.get("/api/v1/schedules/dashboard").body().path("counts").path("fires").asLong() > 0);
        api.delete("/api/v1/schedules/dashboard");
        // GC pause meters appear with the first collection, which a young test JVM may not have had
        System.gc();
        Set<String> scraped = await().atMost(Duration.ofSeconds(10))
            .until(this::scrape, names -> names.contains("jvm_gc_pause_seconds_max"));

        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                Set<String> series = series(target.path("expr").asString());
                assertThat(series).as("panel '%s' query %s", panel.path("title").asString(), target.path("expr"))
                    .isNotEmpty();
                queried.addAll(series);
            }
        }

        assertThat(queried).containsAll(REQUIRED);
        assertThat(queried)
            .as("series the dashboard queries, all in a scrape of /actuator/prometheus")
            .allSatisfy(name -> assertThat(scraped).contains(name));
    }

    @Test
    void panelsUseTheDataSourceVariableAndFilterByInstance() {
        JsonNode dashboard = dashboard();
        assertThat(dashboard.path("uid").asString()).isEqualTo("spindle");
        assertThat(dashboard.path("templating").path("list").valueStream().map(v -> v.path("name").asString()))
            .contains("datasource", "instance");
        assertThat(dashboard.path("templating").path("list").get(0).path("query").asString()).isEqualTo("prometheus");
        assertThat(panels()).isNotEmpty().allSatisfy(panel -> {
            assertThat(panel.path("datasource").path("uid").asString()).as(panel.path("title").asString())
                .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(panel.path("title").asString()).isNotEmpty()
                .allSatisfy(target -> assertThat(target.path("expr").asString()).contains("instance=~\"$instance\""));
        });
        Set<Integer> ids = new TreeSet<>();
        dashboard.path("panels").forEach(panel -> assertThat(ids.add(panel.path("id").asInt())).as("unique panel ids").isTrue());
    }

    private Set<String> scrape() {
        return new Api(managementPort).get("/actuator/prometheus").raw().body().lines()
            .filter(line -> !line.startsWith("#") && !line.isBlank())
            .map(line -> line.split("[{ ]", 2)[0])
            .collect(Collectors.toSet());
    }

    static Set<String> series(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = SERIES.matcher(expr);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    private static List<JsonNode> panels() {
        return dashboard().path("panels").valueStream().filter(panel -> !panel.path("type").asString().equals("row")).toList();
    }

    private static JsonNode dashboard() {
        return JsonMapper.builder().build().readTree(DASHBOARD.toFile());
    }
}
