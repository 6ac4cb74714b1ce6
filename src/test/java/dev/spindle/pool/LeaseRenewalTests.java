package dev.spindle.pool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import dev.spindle.job.Job;
import dev.spindle.store.JobStore;
import dev.spindle.store.Lease;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The heartbeat renews the leases of the jobs the pool holds, by id: a row RUNNING under this very
 * process that the pool never started (a claim whose commit succeeded while its answer was lost, so
 * the writer retried without it) runs again once its lease runs out. Renewed "by instance", it
 * stayed RUNNING for as long as the process lived.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.cluster.lease-ttl=1s", "spindle.cluster.heartbeat-interval=100ms" })
class LeaseRenewalTests {

    @LocalServerPort
    int port;

    @Autowired
    JobStore store;

    @Autowired
    WorkerPool pool;

    @Test
    void aJobRunningUnderThisProcessThatThePoolDoesNotHoldRunsAgainOnceItsLeaseRunsOut() {
        Api api = new Api(port);
        String id = api.submit("{\"type\": \"noop\", \"delay\": \"PT1H\"}");
        // claimed under this process's own instance, behind the pool's back
        Instant due = Instant.now().plus(Duration.ofHours(2));
        List<Job> lost = store.claim(1, new Lease(pool.node(), pool.instance(), Instant.now().plusSeconds(1)), due);
        assertThat(lost).extracting(Job::id).containsExactly(id);

        // several heartbeats go by meanwhile; the lease must not be renewed by any of them
        JsonNode job = await().atMost(Duration.ofSeconds(15))
            .until(() -> api.get("/api/v1/jobs/" + id).body(),
                    stored -> stored.path("state").asString().equals("SUCCEEDED"));
        assertThat(job.path("attempt").asInt()).isEqualTo(2);
    }
}
