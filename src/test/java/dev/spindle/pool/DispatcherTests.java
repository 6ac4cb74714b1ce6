package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.spindle.store.Claim;
import dev.spindle.store.Claimed;
import dev.spindle.store.JobStore;
import dev.spindle.store.Lease;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.after;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/** A node held back (under memory pressure) claims nothing from the shared queue, and claims again once released. */
class DispatcherTests {

    @Test
    void claimsNothingWhileHeldBack() throws InterruptedException {
        JobStore store = mock(JobStore.class);
        when(store.claim(any(Claim.class))).thenReturn(Claimed.NOTHING);
        when(store.nextRunAt(any())).thenReturn(Optional.empty());
        AtomicBoolean holdBack = new AtomicBoolean(true);
        Dispatcher dispatcher = new Dispatcher(store, new Slots(8), Clock.systemUTC(),
                () -> new Lease("node-c", "instance-c", Instant.now().plusSeconds(30)), Duration.ofMillis(20), 8, 100,
                holdBack::get, new StoreOutage());
        Thread loop = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    dispatcher.next();
                }
            }
            catch (InterruptedException ex) {
                // stopped
            }
        });
        try {
            // 25 poll intervals held back: not one claim
            verify(store, after(500).never()).claim(any(Claim.class));

            holdBack.set(false);
            verify(store, timeout(5_000).atLeastOnce()).claim(any(Claim.class));
        }
        finally {
            loop.interrupt();
            loop.join();
        }
    }

    @Test
    void completionWritesGoOnClaimingWhileTheStoreSaysMoreMayBeDue() {
        // a claim that a queue's limit held back took nothing, yet more is due once running jobs
        // of that queue end: the writes that store those ends must claim for the slots they free
        JobStore store = mock(JobStore.class);
        Dispatcher dispatcher = new Dispatcher(store, new Slots(8), Clock.systemUTC(),
                () -> new Lease("node-c", "instance-c", Instant.now().plusSeconds(30)), Duration.ofSeconds(30), 8, 100,
                () -> false, new StoreOutage());
        assertThat(dispatcher.tryReserve(5)).isTrue();
        dispatcher.enqueued(5, 5, Instant.now());

        Claim first = dispatcher.refill();
        assertThat(first).isNotNull();
        dispatcher.refilled(first, new Claimed(List.of(), true));
        Claim second = dispatcher.refill();
        assertThat(second).as("held back, more may be due").isNotNull();
        dispatcher.refilled(second, Claimed.NOTHING);
        assertThat(dispatcher.refill()).as("nothing more due").isNull();
    }

    @Test
    void aHeldBackDispatcherEndsWhenTheSlotsClose() throws Exception {
        // a stop under memory pressure: the loop must not keep waiting for the pressure to end
        JobStore store = mock(JobStore.class);
        Slots slots = new Slots(8);
        Dispatcher dispatcher = new Dispatcher(store, slots, Clock.systemUTC(),
                () -> new Lease("node-c", "instance-c", Instant.now().plusSeconds(30)), Duration.ofSeconds(30), 8, 100,
                () -> true, new StoreOutage());
        java.util.concurrent.CompletableFuture<List<?>> next = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return dispatcher.next();
            }
            catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });

        slots.close();

        assertThat(next.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEmpty();
        verify(store, never()).claim(any(Claim.class));
    }
}
