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

    private final JobStore store = TestStores.emptyStore(TestStores.h2());

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
        all.add(waiting);
        store.insert(all);
        store.claim(old.stream().map(NewJob::id).toList(), "n1", now, now.plusSeconds(30));
        store.claim(List.of(recent.id()), "n1", now, now.plusSeconds(30));
        store.complete(old.stream().map(job -> Completion.succeeded(job.id(), 1L, null, now.minus(Duration.ofDays(8)))).toList());
        store.complete(List.of(Completion.succeeded(recent.id(), 1L, null, now.minus(Duration.ofDays(6)))));

        int pruned = new RetentionPruner(store, new StoreProperties(Duration.ofDays(7), Duration.ofMinutes(1)),
                Clock.systemUTC()).pruneNow();

        assertThat(pruned).isEqualTo(2500);
        assertThat(store.find(recent.id())).isPresent();
        assertThat(store.find(waiting.id())).isPresent();
    }
}
