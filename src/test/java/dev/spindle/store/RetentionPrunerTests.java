package dev.spindle.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.config.StoreProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RetentionPrunerTests {

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    private final JdbcJobStore store = TestStores.emptyStore(TestStores.sqlite());

    @Test
    void prunesEveryFinishedJobPastItsRetentionInBatches() {
        List<NewJob> old = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            old.add(new NewJobBuilder(now).build());
        }
        NewJob recent = new NewJobBuilder(now).build();
        NewJob waiting = new NewJobBuilder(now).build();
        List<NewJob> all = new ArrayList<>(old);
        all.add(recent);
        store.insert(all);
        Lease lease = new Lease("n1", "i1", now.plusSeconds(30));
        while (!store.claim(1000, lease, now).isEmpty()) {
            // all of them
        }
        store.complete("i1", old.stream().map(job -> Completion.succeeded(job.id(), 1L, null, now.minus(Duration.ofDays(8)))).toList(),
                List.of());
        store.complete("i1", List.of(Completion.succeeded(recent.id(), 1L, null, now.minus(Duration.ofDays(6)))), List.of());
        store.insert(List.of(waiting));

        int pruned = new RetentionPruner(store, store, new StoreProperties(Duration.ofDays(7), Duration.ofMinutes(1),
                new StoreProperties.Sqlite("FULL")),
                Clock.systemUTC()).pruneNow();

        assertThat(pruned).isEqualTo(2500);
        assertThat(store.find(recent.id())).isPresent();
        assertThat(store.find(waiting.id())).isPresent();
    }
}
