package dev.spindle.cluster;

import java.nio.file.Path;
import java.time.Duration;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import dev.spindle.pool.WorkerPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * A stop ends within the shutdown grace and its margin even when the database has gone away
 * under running jobs: the interrupted jobs' completions cannot be stored and are given up, not
 * retried forever.
 */
class StopBoundsTests {

    private static final Duration GRACE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void aStopWithTheDatabaseGoneEndsWithinTheGraceAndItsMargin() throws Exception {
        Path bin = PrivatePostgres.binaries().orElse(null);
        assumeThat(bin).as("PostgreSQL server binaries (initdb, pg_ctl) on this machine").isNotNull();
        PrivatePostgres postgres = PrivatePostgres.start(bin, dir);
        boolean stopped = false;
        try {
            ConfigurableApplicationContext node = new SpringApplicationBuilder(SpindleApplication.class,
                    TestHandlers.class).profiles("test")
                .run("--spring.datasource.url=" + postgres.url(), "--spring.datasource.username=postgres",
                        "--spring.datasource.hikari.connection-timeout=1000", "--spindle.pool.concurrency=8",
                        "--spindle.pool.shutdown-grace=" + GRACE.toMillis() + "ms",
                        "--spindle.cluster.heartbeat-interval=300ms");
            Api api = new Api(Integer.parseInt(node.getEnvironment().getProperty("local.server.port")));
            for (int i = 0; i < 4; i++) {
                api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"timeout\": \"PT5M\"}");
            }
            await().until(() -> node.getBean(WorkerPool.class).stats().running() == 4);

            postgres.close();
            stopped = true;
            long began = System.nanoTime();
            node.close();
            Duration took = Duration.ofNanos(System.nanoTime() - began);

            // the web server's drain is instant with no request in hand; the rest is the pool's, then
            // at most one store call in flight at the deadline and the connection pool's own close
            assertThat(took).isLessThan(GRACE.plus(WorkerPool.STOP_MARGIN).plusSeconds(4));
        }
        finally {
            if (!stopped) {
                postgres.close();
            }
        }
    }
}
