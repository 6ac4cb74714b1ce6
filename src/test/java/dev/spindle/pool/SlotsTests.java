package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A slot is free once its attempt's handler returns; outcomes waiting to be stored are bounded by
 * the concurrency again, so a node never holds more than twice its concurrency RUNNING in the store.
 */
class SlotsTests {

    @Test
    void anEndedAttemptFreesItsSlotBeforeItsOutcomeIsStored() throws InterruptedException {
        Slots slots = new Slots(2);
        assertThat(slots.acquire(5)).isEqualTo(2);
        slots.ended();
        slots.ended();

        assertThat(slots.running()).isZero();
        assertThat(slots.acquire(5)).isEqualTo(2);
    }

    @Test
    void outcomesWaitingToBeStoredLeaveRoomForNoMoreThanTheConcurrency() throws Exception {
        Slots slots = new Slots(2);
        assertThat(slots.acquire(2)).isEqualTo(2);
        slots.ended();
        slots.ended();
        assertThat(slots.acquire(2)).isEqualTo(2);
        slots.ended();
        slots.ended();

        // four outcomes wait to be stored: no slot until some are
        CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> {
            try {
                return slots.acquire(2);
            }
            catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });
        assertThat(next).failsWithin(Duration.ofMillis(200));
        slots.stored(1);
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void idleOnlyOnceEveryOutcomeIsStored() throws InterruptedException {
        Slots slots = new Slots(4);
        assertThat(slots.acquire(1)).isEqualTo(1);
        slots.ended();

        assertThat(slots.awaitIdle(Duration.ofMillis(50))).isFalse();
        slots.stored(1);
        assertThat(slots.awaitIdle(Duration.ofMillis(50))).isTrue();
    }

    @Test
    void closingWakesAWaitingAcquire() throws Exception {
        Slots slots = new Slots(1);
        assertThat(slots.acquire(1)).isEqualTo(1);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return slots.acquire(1);
            }
            catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
        slots.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isZero();
    }
}
