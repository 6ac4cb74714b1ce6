package dev.spindle.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.TestHandlers.CountingHandler;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** 10,000 jobs from 64 concurrent clients, single and batch mixed: each runs exactly once and succeeds. */
@SpindleTest
class NoJobLostTests {

    private static final int CLIENTS = 64;

    private static final int JOBS = 10_000;

    @LocalServerPort
    int port;

    @Autowired
    CountingHandler counter;

    @Autowired
    JdbcClient jdbc;

    @Test
    void everyJobRunsExactlyOnce() throws Exception {
        Api api = new Api(port);
        Set<String> submitted = ConcurrentHashMap.newKeySet();
        AtomicInteger remaining = new AtomicInteger(JOBS);
        List<Future<?>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
            for (int c = 0; c < CLIENTS; c++) {
                boolean batches = c % 2 == 0;
                clients.add(pool.submit(() -> {
                    int n;
                    while ((n = take(remaining, batches ? 50 : 1)) > 0) {
                        submitted.addAll(batches ? submitBatch(api, n) : List.of(submitOne(api)));
                    }
                    return null;
                }));
            }
            for (Future<?> client : clients) {
                client.get();
            }
        }
        assertThat(submitted).hasSize(JOBS);

        await().until(() -> succeededCountingJobs() == JOBS);
        assertThat(counter.runs.keySet()).isEqualTo(submitted);
        assertThat(submitted).allSatisfy(id -> assertThat(counter.runs.get(id).get()).as("runs of %s", id).isEqualTo(1));
        assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs WHERE type = 'counting' AND attempt <> 1").query(Long.class).single())
            .isZero();
    }

    private long succeededCountingJobs() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE type = 'counting' AND state = 'SUCCEEDED'").query(Long.class).single();
    }

    private static int take(AtomicInteger remaining, int wanted) {
        while (true) {
            int left = remaining.get();
            int n = Math.min(left, wanted);
            if (n == 0 || remaining.compareAndSet(left, left - n)) {
                return n;
            }
        }
    }

    private static String submitOne(Api api) {
        return api.submit("{\"type\": \"counting\"}");
    }

    private static List<String> submitBatch(Api api, int n) {
        String jobs = String.join(",", java.util.Collections.nCopies(n, "{\"type\": \"counting\"}"));
        Response response = api.post("/api/v1/jobs/batch", "{\"jobs\": [" + jobs + "]}");
        assertThat(response.status()).isEqualTo(202);
        return response.body().path("jobs").valueStream().map(job -> job.path("id").asString()).toList();
    }
}
