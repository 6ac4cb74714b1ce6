package dev.spindle.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.SpindleProcess;
import dev.spindle.TestApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code logging.structured.format.console=ecs} turns the console into one JSON object per line,
 * and what a job logs on its thread carries the job's id ({@code jobId}, from the MDC).
 */
class StructuredLogTests {

    @TempDir
    Path workDir;

    @Test
    void aJobsLogLinesAreJsonWithItsId() throws Exception {
        try (SpindleProcess spindle = SpindleProcess.startMain(TestApplication.class, "structured", workDir,
                List.of("-Xmx256m"), List.of("logging.structured.format.console=ecs"))) {
            await().atMost(Duration.ofMinutes(2)).until(spindle::ready);
            Api api = spindle.api();
            String id = api.submit("{\"type\": \"log\", \"payload\": {\"marker\": \"structured-7\"}}");
            assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");

            List<String> lines = Files.readAllLines(spindle.log);
            assertThat(lines).filteredOn(line -> line.startsWith("{")).hasSizeGreaterThan(10);
            List<JsonNode> jobLines = lines.stream()
                .filter(line -> line.contains("structured-7"))
                .map(Api::parse)
                .toList();
            assertThat(jobLines).singleElement().satisfies(line -> {
                assertThat(line.path("jobId").asString()).isEqualTo(id);
                assertThat(line.path("message").asString()).startsWith("working on");
                assertThat(line.path("@timestamp").isMissingNode()).isFalse();
            });
        }
    }
}
