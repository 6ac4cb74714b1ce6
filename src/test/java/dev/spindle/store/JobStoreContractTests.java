package dev.spindle.store;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import javax.sql.DataSource;

import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The behaviour every {@link JobStore} database must have; one subclass per database runs it.
 * Each test starts on an empty, freshly migrated schema.
 */
abstract class JobStoreContractTests {

    static final JsonMapper JSON = TestStores.JSON;

    final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    JobStore store;

    /** A database with nothing in it (the schema may be absent; it is migrated here). */
    abstract DataSource dataSource();

    @BeforeEach
    void createStore() {
        store = TestStores.emptyStore(dataSource());
    }

    @org.junit.jupiter.api.AfterEach
    void leaveNoNodes() {
        store.nodes().forEach(node -> store.leave(node.id()));
    }

    @Test
    void insertedJobReadsBackWhole() {
        NewJob job = aJob().priority(9).payload("{\"to\": \"a@b.c\", \"n\": [1, 2]}").idempotencyKey("k1").build();

        store.insert(List.of(job));

        Job read = store.find(job.id()).orElseThrow();
        assertThat(read).isEqualTo(job.toJob());
        assertThat(store.findByIdempotencyKey("k1")).contains(read);
        assertThat(store.find("missing")).isEmpty();
    }

    @Test
    void insertIsAllOrNothingWhenAnIdempotencyKeyIsTaken() {
        store.insert(List.of(aJob().idempotencyKey("taken").build()));
        NewJob fresh = aJob().build();

        assertThatThrownBy(() -> store.insert(List.of(fresh, aJob().idempotencyKey("taken").build())))
            .isInstanceOf(DuplicateIdempotencyKeyException.class);

        assertThat(store.find(fresh.id())).isEmpty();
    }

    @Test
    void claimMovesOnlyQueuedJobsToRunningAndCountsAnAttempt() {
        NewJob a = aJob().build();
        NewJob b = aJob().build();
        store.insert(List.of(a, b));
        store.cancelQueued(b.id(), now);

        List<Job> claimed = store.claim(List.of(a.id(), b.id(), "missing"), "n1", now, now.plusSeconds(30));

        assertThat(claimed).singleElement().satisfies(job -> {
            assertThat(job.id()).isEqualTo(a.id());
            assertThat(job.state()).isEqualTo(JobState.RUNNING);
            assertThat(job.attempt()).isEqualTo(1);
            assertThat(job.node()).isEqualTo("n1");
            assertThat(job.startedAt()).isEqualTo(now);
        });
        assertThat(store.claim(List.of(a.id()), "n2", now, now.plusSeconds(30))).isEmpty();
    }

    @Test
    void completionEndsOnlyARunningAttempt() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.complete(List.of(Completion.succeeded(job.id(), 1L, JSON.readTree("{\"early\": true}"), now)));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);

        store.claim(List.of(job.id()), "n1", now, now.plusSeconds(30));
        store.progress(job.id(), 1L, 0.25);
        assertThat(store.find(job.id()).orElseThrow().progress()).isEqualTo(0.25);
        store.complete(List.of(Completion.succeeded(job.id(), 1L, JSON.readTree("{\"ok\": 1}"), now.plusSeconds(1))));

        Job done = store.find(job.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.result()).isEqualTo(JSON.readTree("{\"ok\": 1}"));
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.finishedAt()).isEqualTo(now.plusSeconds(1));
        store.complete(List.of(Completion.failed(job.id(), 1L, new JobError("late", "too late"), now)));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void retryCompletionRequeuesAtALaterRunAtKeepingTheAttemptCount() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.claim(List.of(job.id()), "n1", now, now.plusSeconds(30));

        store.complete(List.of(Completion.retry(job.id(), 1L, new JobError("handler_error", "boom"), now, now.plusSeconds(5))));

        Job requeued = store.find(job.id()).orElseThrow();
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.runAt()).isEqualTo(now.plusSeconds(5));
        assertThat(requeued.attempt()).isEqualTo(1);
        assertThat(requeued.error()).isEqualTo(new JobError("handler_error", "boom"));
        assertThat(requeued.finishedAt()).isNull();
        assertThat(store.queued()).containsExactly(new QueuedJob(job.id(), 5, now.plusSeconds(5)));
    }

    @Test
    void interruptedCompletionGivesTheAttemptBack() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.claim(List.of(job.id()), "n1", now, now.plusSeconds(30));

        store.complete(List.of(Completion.interrupted(job.id(), 1L, new JobError("shutdown", "stop"), now)));

        Job requeued = store.find(job.id()).orElseThrow();
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.attempt()).isZero();
    }

    @Test
    void cancelQueuedCancelsOnlyQueuedJobs() {
        NewJob queued = aJob().build();
        NewJob running = aJob().build();
        store.insert(List.of(queued, running));
        store.claim(List.of(running.id()), "n1", now, now.plusSeconds(30));

        assertThat(store.cancelQueued(queued.id(), now)).hasValueSatisfying(job -> {
            assertThat(job.state()).isEqualTo(JobState.CANCELLED);
            assertThat(job.error().code()).isEqualTo(JobError.CANCELLED);
            assertThat(job.finishedAt()).isEqualTo(now);
        });
        assertThat(store.cancelQueued(queued.id(), now)).isEmpty();
        assertThat(store.cancelQueued(running.id(), now)).isEmpty();
    }

    @Test
    void requeueResetsAFailedOrCancelledJobOnly() {
        NewJob failed = aJob().build();
        NewJob done = aJob().build();
        store.insert(List.of(failed, done));
        store.claim(List.of(failed.id(), done.id()), "n1", now, now.plusSeconds(30));
        store.complete(List.of(Completion.failed(failed.id(), 1L, new JobError("x", "y"), now),
                Completion.succeeded(done.id(), 1L, null, now)));

        assertThat(store.requeue(failed.id(), now.plusSeconds(1))).hasValueSatisfying(job -> {
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
            assertThat(job.attempt()).isZero();
            assertThat(job.error()).isNull();
            assertThat(job.runAt()).isEqualTo(now.plusSeconds(1));
        });
        assertThat(store.requeue(done.id(), now)).isEmpty();
    }

    @Test
    void recoverRunningRequeuesWhileAttemptsRemainAndFailsTheRest() {
        NewJob retryable = aJob().maxAttempts(2).build();
        NewJob spent = aJob().maxAttempts(1).build();
        NewJob queued = aJob().build();
        store.insert(List.of(retryable, spent, queued));
        store.claim(List.of(retryable.id(), spent.id()), "dead", now, now.plusSeconds(30));

        assertThat(store.recoverRunning(now)).isEqualTo(2);

        assertThat(store.find(retryable.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
            assertThat(job.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
        });
        assertThat(store.find(spent.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.state()).isEqualTo(JobState.FAILED);
            assertThat(job.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
        });
        assertThat(store.find(queued.id()).orElseThrow().error()).isNull();
    }

    @Test
    void listPagesNewestFirstWithFilters() {
        List<NewJob> jobs = List.of(aJob().type("a").build(), aJob().type("b").build(), aJob().type("a").build(),
                aJob().type("a").build(), aJob().type("a").build());
        store.insert(jobs);
        store.cancelQueued(jobs.get(4).id(), now);

        JobPage first = store.list(new JobQuery(JobState.QUEUED, "a", 2, null));
        JobPage second = store.list(new JobQuery(JobState.QUEUED, "a", 2, first.next()));

        assertThat(first.items()).extracting(Job::id).containsExactly(jobs.get(3).id(), jobs.get(2).id());
        assertThat(second.items()).extracting(Job::id).containsExactly(jobs.get(0).id());
        assertThat(second.next()).isNull();
        assertThat(store.list(new JobQuery(null, null, 10, null)).items()).hasSize(5);
    }

    @Test
    void deleteFinishedBeforeRemovesOnlyOldTerminalJobs() {
        NewJob old = aJob().build();
        NewJob recent = aJob().build();
        NewJob queued = aJob().build();
        store.insert(List.of(old, recent, queued));
        store.claim(List.of(old.id(), recent.id()), "n1", now, now.plusSeconds(30));
        store.complete(List.of(Completion.succeeded(old.id(), 1L, null, now.minus(Duration.ofDays(10))),
                Completion.succeeded(recent.id(), 1L, null, now)));

        assertThat(store.deleteFinishedBefore(now.minus(Duration.ofDays(1)), 100)).isEqualTo(1);

        assertThat(store.find(old.id())).isEmpty();
        assertThat(store.find(recent.id())).isPresent();
        assertThat(store.find(queued.id())).isPresent();
    }

    @Test
    void deleteFinishedBeforeHonoursItsLimit() {
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build());
        store.insert(jobs);
        store.claim(jobs.stream().map(NewJob::id).toList(), "n1", now, now.plusSeconds(30));
        store.complete(jobs.stream().map(job -> Completion.succeeded(job.id(), 1L, null, now.minusSeconds(60))).toList());

        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(2);
        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(1);
    }

    @Test
    void claimNextTakesDueJobsInDispatchOrder() {
        NewJob low = aJob().priority(1).build();
        NewJob high = aJob().priority(8).build();
        NewJob middle = aJob().priority(5).build();
        NewJob later = new NewJob(TestStores.nextId(), "noop", JSON.readTree("{}"), 9, 3, Duration.ofSeconds(30),
                now.plusSeconds(60), null, now);
        store.insert(List.of(low, high, middle, later));

        List<Job> claimed = store.claimNext(2, "n1", now, now.plusSeconds(30));

        assertThat(claimed).extracting(Job::id).containsExactly(high.id(), middle.id());
        assertThat(claimed).allSatisfy(job -> {
            assertThat(job.state()).isEqualTo(JobState.RUNNING);
            assertThat(job.fencingToken()).isEqualTo(1);
        });
        assertThat(store.claimNext(5, "n1", now, now.plusSeconds(30))).extracting(Job::id).containsExactly(low.id());
        assertThat(store.countQueued()).isEqualTo(1);
        assertThat(store.nextRunAt()).contains(now.plusSeconds(60));
    }

    @Test
    void concurrentClaimsNeverTakeTheSameJob() throws Exception {
        List<NewJob> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            jobs.add(aJob().build());
        }
        store.insert(jobs);
        java.util.Set<String> claimed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger duplicates = new java.util.concurrent.atomic.AtomicInteger();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 4; t++) {
                String node = "n" + t;
                threads.submit(() -> {
                    List<Job> batch;
                    do {
                        batch = store.claimNext(7, node, now, now.plusSeconds(30));
                        batch.forEach(job -> {
                            if (!claimed.add(job.id())) {
                                duplicates.incrementAndGet();
                            }
                        });
                    }
                    while (!batch.isEmpty());
                    return null;
                });
            }
        }
        assertThat(duplicates).hasValue(0);
        assertThat(claimed).hasSize(200);
    }

    @Test
    void oneBatchOfMixedCompletionsEndsEachAttemptItsOwnWay() {
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build(), aJob().build(), aJob().build(),
                aJob().build());
        store.insert(jobs);
        store.claim(jobs.stream().map(NewJob::id).toList(), "n1", now, now.plusSeconds(30));
        String ok = jobs.get(0).id(), failed = jobs.get(1).id(), retried = jobs.get(2).id(), interrupted = jobs.get(3).id(),
                stale = jobs.get(4).id(), cancelled = jobs.get(5).id();
        store.progress(interrupted, 1L, 0.5);

        store.complete(List.of(Completion.succeeded(ok, 1L, JSON.readTree("{\"n\": [1, \"two\"]}"), now.plusSeconds(1)),
                Completion.failed(failed, 1L, new JobError("bad_input", "it's \"quoted\", {braced}, ünïcode"), now.plusSeconds(2)),
                Completion.retry(retried, 1L, new JobError("handler_error", "boom"), now, now.plusSeconds(5)),
                Completion.interrupted(interrupted, 1L, new JobError("shutdown", "stop"), now),
                Completion.succeeded(stale, 7L, null, now),
                Completion.cancelled(cancelled, 1L, new JobError("cancelled", "by request"), now.plusSeconds(3))));

        Job done = store.find(ok).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.result()).isEqualTo(JSON.readTree("{\"n\": [1, \"two\"]}"));
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.finishedAt()).isEqualTo(now.plusSeconds(1));
        assertThat(done.error()).isNull();
        Job fail = store.find(failed).orElseThrow();
        assertThat(fail.state()).isEqualTo(JobState.FAILED);
        assertThat(fail.error()).isEqualTo(new JobError("bad_input", "it's \"quoted\", {braced}, ünïcode"));
        assertThat(fail.result()).isNull();
        assertThat(fail.finishedAt()).isEqualTo(now.plusSeconds(2));
        Job again = store.find(retried).orElseThrow();
        assertThat(again.state()).isEqualTo(JobState.QUEUED);
        assertThat(again.runAt()).isEqualTo(now.plusSeconds(5));
        assertThat(again.attempt()).isEqualTo(1);
        assertThat(again.finishedAt()).isNull();
        Job back = store.find(interrupted).orElseThrow();
        assertThat(back.state()).isEqualTo(JobState.QUEUED);
        assertThat(back.attempt()).isZero();
        assertThat(back.progress()).isEqualTo(0.5);
        assertThat(store.find(stale).orElseThrow().state()).as("a stale fencing token changes nothing")
            .isEqualTo(JobState.RUNNING);
        Job stopped = store.find(cancelled).orElseThrow();
        assertThat(stopped.state()).isEqualTo(JobState.CANCELLED);
        assertThat(stopped.finishedAt()).isEqualTo(now.plusSeconds(3));
    }

    @Test
    void completionUnderAnOlderFencingTokenDoesNothing() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.claim(List.of(job.id()), "zombie", now, now.plusSeconds(1));
        assertThat(store.reapExpired(now.plusSeconds(2))).isEqualTo(1);
        Job reclaimed = store.claim(List.of(job.id()), "n2", now.plusSeconds(3), now.plusSeconds(30)).getFirst();
        assertThat(reclaimed.fencingToken()).isEqualTo(2);
        assertThat(reclaimed.attempt()).isEqualTo(2);

        store.complete(List.of(Completion.failed(job.id(), 1L, new JobError("late", "from the zombie"), now)));
        store.progress(job.id(), 1L, 0.9);
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(store.find(job.id()).orElseThrow().progress()).isNull();

        store.complete(List.of(Completion.succeeded(job.id(), 2L, null, now)));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void heartbeatRenewsLeasesRegistersTheNodeAndReportsCancelRequests() {
        NewJob job = aJob().build();
        NewJob other = aJob().build();
        store.insert(List.of(job, other));
        store.claim(List.of(job.id()), "n1", now, now.plusSeconds(1));
        store.claim(List.of(other.id()), "n2", now, now.plusSeconds(1));

        assertThat(store.requestCancel(job.id())).isTrue();
        List<String> cancels = store.heartbeat(new NodeHeartbeat("n1", now, now, now.plusSeconds(60), 8));

        assertThat(cancels).containsExactly(job.id());
        assertThat(store.reapExpired(now.plusSeconds(10))).isEqualTo(1);
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(store.find(other.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.nodes()).singleElement().satisfies(node -> {
            assertThat(node.id()).isEqualTo("n1");
            assertThat(node.running()).isEqualTo(1);
            assertThat(node.concurrency()).isEqualTo(8);
        });
        store.heartbeat(new NodeHeartbeat("n1", now, now.plusSeconds(1), now.plusSeconds(60), 8));
        assertThat(store.nodes()).singleElement().extracting(NodeView::heartbeatAt).isEqualTo(now.plusSeconds(1));
        store.leave("n1");
        assertThat(store.nodes()).isEmpty();
        assertThat(store.requestCancel(other.id())).isFalse();
    }

    @Test
    void reaperFailsAJobWithNoAttemptsLeft() {
        NewJob job = aJob().maxAttempts(1).build();
        store.insert(List.of(job));
        store.claim(List.of(job.id()), "dead", now, now.plusSeconds(1));

        assertThat(store.reapExpired(now.plusSeconds(5))).isEqualTo(1);

        Job failed = store.find(job.id()).orElseThrow();
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
    }

    NewJobBuilder aJob() {
        return new NewJobBuilder(now);
    }
}
