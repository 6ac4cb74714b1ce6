package dev.spindle.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded store killed with SIGKILL while eight clients submit: every job that was answered
 * 202 is in the file after a restart, and runs.
 */
class EmbeddedCrashTests {

    private static final int CLIENTS = 8;

    private static final int ACCEPTED_BEFORE_KILL = 1500;

    @TempDir
    Path dir;

    @Test
    void everyAcceptedJobSurvivesAKillAndRuns() throws Exception {
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicBoolean submitting = new AtomicBoolean(true);
        SpindleProcess first = start();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            Api api = first.api();
            for (int c = 0; c < CLIENTS; c++) {
                boolean batches = c % 2 == 0;
                clients.submit(() -> {
                    while (submitting.get()) {
                        try {
                            if (batches) {
                                Api.Response response = api.post("/api/v1/jobs/batch",
                                        "{\"jobs\": [{\"type\": \"sleep\", \"payload\": {\"ms\": 20}}, {\"type\": \"noop\"}]}");
                                if (response.status() == 202) {
                                    response.body().path("jobs").forEach(job -> accepted.add(job.path("id").asString()));
                                }
                            }
                            else {
                                Api.Response response = api.post("/api/v1/jobs",
                                        "{\"type\": \"sleep\", \"payload\": {\"ms\": 20}}");
                                if (response.status() == 202) {
                                    accepted.add(response.id());
                                }
                            }
                        }
                        catch (RuntimeException ex) {
                            // the process is gone: what it answered before counts, nothing after
                        }
                    }
                    return null;
                });
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= ACCEPTED_BEFORE_KILL);
            first.kill();
            submitting.set(false);
        }
        finally {
            first.close();
        }

        try (SpindleProcess second = start()) {
            Api api = second.api();
            for (String id : List.copyOf(accepted)) {
                assertThat(api.get("/api/v1/jobs/" + id).status()).as("job %s answered 202 before the kill", id)
                    .isEqualTo(200);
            }
            for (String id : List.copyOf(accepted)) {
                assertThat(api.awaitTerminal(id).path("state").asString()).as(id).isEqualTo("SUCCEEDED");
            }
        }
    }

    private SpindleProcess start() {
        SpindleProcess process = SpindleProcess.startMain(SpindleApplication.class, "crash", dir, List.of("-Xmx256m"),
                List.of("spring.datasource.url=jdbc:sqlite:" + dir.resolve("spindle.db")));
        await().atMost(Duration.ofSeconds(60)).until(process::ready);
        return process;
    }
}
