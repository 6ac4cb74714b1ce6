package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.spindle.store.QueuedJob;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReadyQueueTests {

    private final Clock clock = Clock.systemUTC();

    @Test
    void takesHigherPriorityFirstThenEarlierRunAtThenOlderId() throws InterruptedException {
        ReadyQueue queue = new ReadyQueue(clock, 10, 100);
        Instant past = clock.instant().minusSeconds(10);
        queue.add(List.of(job("c", 5, past.plusMillis(2)), job("a", 1, past), job("d", 5, past.plusMillis(1)),
                job("b", 9, past.plusMillis(5)), job("e", 5, past.plusMillis(1))), 0);

        assertThat(queue.take(10)).extracting(QueuedJob::id).containsExactly("b", "d", "e", "c", "a");
    }

    @Test
    void takesNoMoreThanTheFreeSlotsAndWaitsForARelease() throws Exception {
        ReadyQueue queue = new ReadyQueue(clock, 2, 100);
        queue.add(List.of(job("a", 5, Instant.EPOCH), job("b", 5, Instant.EPOCH), job("c", 5, Instant.EPOCH)), 0);

        assertThat(queue.take(10)).hasSize(2);
        CompletableFuture<List<QueuedJob>> next = CompletableFuture.supplyAsync(() -> take(queue));
        assertThat(next).isNotDone();
        queue.release(1);

        assertThat(next.get(5, TimeUnit.SECONDS)).extracting(QueuedJob::id).containsExactly("c");
        assertThat(queue.running()).isEqualTo(2);
    }

    @Test
    void delayedJobBecomesReadyAtItsRunAt() throws Exception {
        ReadyQueue queue = new ReadyQueue(clock, 2, 100);
        Instant runAt = clock.instant().plusMillis(200);
        queue.add(List.of(job("later", 9, runAt)), 0);

        List<QueuedJob> taken = queue.take(1);

        assertThat(taken).extracting(QueuedJob::id).containsExactly("later");
        assertThat(clock.instant()).isAfterOrEqualTo(runAt);
    }

    @Test
    void removedJobIsNeverTaken() throws InterruptedException {
        ReadyQueue queue = new ReadyQueue(clock, 2, 100);
        queue.add(List.of(job("a", 9, Instant.EPOCH), job("b", 1, Instant.EPOCH)), 0);

        assertThat(queue.remove("a")).isTrue();

        assertThat(queue.size()).isEqualTo(1);
        assertThat(queue.take(2)).extracting(QueuedJob::id).containsExactly("b");
    }

    @Test
    void reservationsCountAgainstTheBacklogUntilCancelledOrUsed() {
        ReadyQueue queue = new ReadyQueue(clock, 1, 3);

        assertThat(queue.tryReserve(2)).isTrue();
        assertThat(queue.tryReserve(2)).isFalse();
        queue.add(List.of(job("a", 5, Instant.EPOCH), job("b", 5, Instant.EPOCH)), 2);
        assertThat(queue.tryReserve(1)).isTrue();
        queue.cancelReservation(1);
        assertThat(queue.tryReserve(1)).isTrue();
        assertThat(queue.tryReserve(1)).isFalse();
    }

    @Test
    void closeWakesAWaitingTaker() throws Exception {
        ReadyQueue queue = new ReadyQueue(clock, 1, 10);
        CompletableFuture<List<QueuedJob>> waiting = CompletableFuture.supplyAsync(() -> take(queue));

        queue.close();

        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void awaitIdleReturnsOnceEverySlotIsBack() throws Exception {
        ReadyQueue queue = new ReadyQueue(clock, 1, 10);
        queue.add(List.of(job("a", 5, Instant.EPOCH)), 0);
        queue.take(1);

        assertThat(queue.awaitIdle(Duration.ofMillis(50))).isFalse();
        queue.release(1);
        assertThat(queue.awaitIdle(Duration.ofMillis(50))).isTrue();
    }

    private static List<QueuedJob> take(ReadyQueue queue) {
        try {
            return queue.take(10);
        }
        catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static QueuedJob job(String id, int priority, Instant runAt) {
        return new QueuedJob(id, priority, runAt);
    }
}
