package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A slot is free once its attempt's handler returns; outcomes waiting to be stored are bounded by
 * the concurrency again, so a node never holds more than twice its concurrency RUNNING in the store.
 */
class SlotsTests {

    private static final BooleanSupplier WRITER_FILLS = () -> true;

    @Test
    void anEndedAttemptFreesItsSlotBeforeItsOutcomeIsStored() throws InterruptedException {
        Slots slots = new Slots(2);
        assertThat(slots.acquire(5, WRITER_FILLS)).isEqualTo(2);
        slots.ended();
        slots.ended();

        assertThat(slots.running()).isZero();
        // the write that stores those outcomes claims for the freed slots in its own commit
        assertThat(slots.tryAcquire(5)).isEqualTo(2);
    }

    @Test
    void theDispatchLoopLeavesSlotsFreedWhileOutcomesWaitToTheWriteThatStoresThem() throws Exception {
        Slots slots = new Slots(4);
        assertThat(slots.acquire(4, WRITER_FILLS)).isEqualTo(4);
        slots.ended();

        CompletableFuture<Integer> next = acquireAsync(slots, 4, WRITER_FILLS);
        assertThat(next).failsWithin(Duration.ofMillis(200));
        slots.stored(1);
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void theDispatchLoopTakesFreedSlotsItselfOnceTheWriterNoLongerFillsThem() throws Exception {
        Slots slots = new Slots(4);
        assertThat(slots.acquire(4, WRITER_FILLS)).isEqualTo(4);
        slots.ended();
        AtomicBoolean writerFills = new AtomicBoolean(true);

        CompletableFuture<Integer> next = acquireAsync(slots, 4, writerFills::get);
        assertThat(next).failsWithin(Duration.ofMillis(200));
        // a refill came back short, say: nothing tells the slots, yet the loop looks again
        writerFills.set(false);
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void outcomesWaitingToBeStoredLeaveRoomForNoMoreThanTheConcurrency() {
        Slots slots = new Slots(2);
        assertThat(slots.tryAcquire(2)).isEqualTo(2);
        slots.ended();
        slots.ended();
        assertThat(slots.tryAcquire(2)).isEqualTo(2);
        slots.ended();
        slots.ended();

        // four outcomes wait to be stored: no slot until some are
        assertThat(slots.tryAcquire(2)).isZero();
        slots.stored(1);
        assertThat(slots.tryAcquire(2)).isEqualTo(1);
    }

    @Test
    void idleOnlyOnceEveryOutcomeIsStored() throws InterruptedException {
        Slots slots = new Slots(4);
        assertThat(slots.acquire(1, WRITER_FILLS)).isEqualTo(1);
        slots.ended();

        assertThat(slots.awaitIdle(Duration.ofMillis(50))).isFalse();
        slots.stored(1);
        assertThat(slots.awaitIdle(Duration.ofMillis(50))).isTrue();
    }

    @Test
    void closingWakesAWaitingAcquire() throws Exception {
        Slots slots = new Slots(1);
        assertThat(slots.acquire(1, WRITER_FILLS)).isEqualTo(1);
        CompletableFuture<Integer> waiting = acquireAsync(slots, 1, WRITER_FILLS);
        await().atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
        slots.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isZero();
    }

    private static CompletableFuture<Integer> acquireAsync(Slots slots, int max, BooleanSupplier writerFills) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return slots.acquire(max, writerFills);
            }
            catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });
    }
}
