package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.spindle.store.JobStore;
import org.junit.jupiter.api.Test;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.after;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/** A node held back (under memory pressure) claims nothing from the shared queue, and claims again once released. */
class SharedDispatcherTests {

    @Test
    void claimsNothingWhileHeldBack() throws InterruptedException {
        JobStore store = mock(JobStore.class);
        when(store.claimNext(anyInt(), anyString(), any(), any())).thenReturn(List.of());
        when(store.nextRunAt()).thenReturn(Optional.empty());
        AtomicBoolean holdBack = new AtomicBoolean(true);
        SharedDispatcher dispatcher = new SharedDispatcher(store, new ReadyQueue(Clock.systemUTC(), 8, 100),
                Clock.systemUTC(), "node-c", Duration.ofSeconds(30), Duration.ofMillis(20), 8, 100, holdBack::get);
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
            verify(store, after(500).never()).claimNext(anyInt(), anyString(), any(), any());

            holdBack.set(false);
            verify(store, timeout(5_000).atLeastOnce()).claimNext(anyInt(), anyString(), any(), any());
        }
        finally {
            loop.interrupt();
            loop.join();
        }
    }
}
