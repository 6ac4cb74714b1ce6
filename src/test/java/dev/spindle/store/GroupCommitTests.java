package dev.spindle.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupCommitTests {

    @Test
    void concurrentCallersShareWritesAndEachItemIsWrittenOnce() throws Exception {
        List<String> written = new CopyOnWriteArrayList<>();
        AtomicInteger transactions = new AtomicInteger();
        CountDownLatch firstWriteHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GroupCommit<String> commit = new GroupCommit<>(items -> {
            if (transactions.incrementAndGet() == 1) {
                firstWriteHeld.countDown();
                await(release);
            }
            written.addAll(items);
        }, 1000);

        List<Thread> callers = new ArrayList<>();
        callers.add(Thread.ofVirtual().start(() -> commit.write(List.of("first"))));
        assertThat(firstWriteHeld.await(5, TimeUnit.SECONDS)).isTrue();
        List<Thread> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String item = "item-" + i;
            queued.add(Thread.ofVirtual().start(() -> commit.write(List.of(item))));
        }
        // all 50 have queued their items and parked behind the first write (however slowly the
        // machine ran them), then go in one or a few groups
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
            .until(() -> queued.stream().allMatch(thread -> thread.getState() == Thread.State.WAITING));
        callers.addAll(queued);
        release.countDown();
        for (Thread caller : callers) {
            assertThat(caller.join(java.time.Duration.ofSeconds(5))).isTrue();
        }

        assertThat(written).hasSize(51).doesNotHaveDuplicates();
        assertThat(transactions.get()).isLessThan(51);
    }

    @Test
    void aFailingCallerFailsAloneAndTheOthersAreWritten() throws Exception {
        ConcurrentHashMap<String, Boolean> stored = new ConcurrentHashMap<>();
        GroupCommit<String> commit = new GroupCommit<>(items -> {
            if (items.stream().anyMatch(item -> item.startsWith("bad"))) {
                throw new IllegalStateException("refused");
            }
            items.forEach(item -> stored.put(item, true));
        }, 1000);

        List<Future<?>> good = new ArrayList<>();
        List<Future<?>> bad = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100; i++) {
                int n = i;
                Future<?> caller = threads.submit(() -> commit.write(List.of((n % 10 == 0 ? "bad-" : "good-") + n, "pair-" + n)));
                (n % 10 == 0 ? bad : good).add(caller);
            }
        }

        for (Future<?> caller : good) {
            caller.get();
        }
        for (Future<?> caller : bad) {
            assertThatThrownBy(caller::get).hasRootCauseMessage("refused");
        }
        assertThat(stored.keySet()).hasSize(180).noneMatch(item -> item.startsWith("bad"));
        assertThat(stored.keySet()).doesNotContain("pair-0", "pair-10");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
