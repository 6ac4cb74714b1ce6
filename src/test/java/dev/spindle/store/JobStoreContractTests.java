package dev.spindle.store;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobPage;
import dev.spindle.job.JobQuery;
import dev.spindle.job.JobState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

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
        store.nodes().forEach(node -> store.leave(node.instance()));
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
    void theSubmitterReadsBackAndIsNullWhenNoneIsGiven() {
        NewJob given = aJob().submittedBy("alice").build();
        NewJob none = aJob().build();

        store.insert(List.of(given, none));

        assertThat(store.find(given.id()).orElseThrow().submittedBy()).isEqualTo("alice");
        assertThat(store.find(none.id()).orElseThrow().submittedBy()).isNull();
        assertThat(claim(N1)).as("as a claim returns them")
            .extracting(Job::id, Job::submittedBy)
            .containsExactlyInAnyOrder(tuple(given.id(), "alice"),
                    tuple(none.id(), null));
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

        List<Job> claimed = claim(N1);

        assertThat(claimed).singleElement().satisfies(job -> {
            assertThat(job.id()).isEqualTo(a.id());
            assertThat(job.state()).isEqualTo(JobState.RUNNING);
            assertThat(job.attempt()).isEqualTo(1);
            assertThat(job.node()).isEqualTo("node-of-" + N1);
            assertThat(job.startedAt()).isEqualTo(now);
        });
        assertThat(claim(N2)).isEmpty();
    }

    @Test
    void completionEndsOnlyARunningAttempt() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        assertThat(complete(N1, Completion.succeeded(job.id(), 1L, JSON.readTree("{\"early\": true}"), now))).isEmpty();
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);

        claim(N1);
        progress(N1, job.id(), 1L, 0.25);
        assertThat(store.find(job.id()).orElseThrow().progress()).isEqualTo(0.25);
        Completion success = Completion.succeeded(job.id(), 1L, JSON.readTree("{\"ok\": 1}"), now.plusSeconds(1));
        assertThat(complete(N1, success)).containsExactly(success);

        Job done = store.find(job.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.result()).isEqualTo(JSON.readTree("{\"ok\": 1}"));
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.finishedAt()).isEqualTo(now.plusSeconds(1));
        assertThat(complete(N1, Completion.failed(job.id(), 1L, new JobError("late", "too late"), now))).isEmpty();
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void retryCompletionRequeuesAtALaterRunAtKeepingTheAttemptCount() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        claim(N1);

        complete(N1, Completion.retry(job.id(), 1L, new JobError("handler_error", "boom"), now, now.plusSeconds(5)));

        Job requeued = store.find(job.id()).orElseThrow();
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.runAt()).isEqualTo(now.plusSeconds(5));
        assertThat(requeued.attempt()).isEqualTo(1);
        assertThat(requeued.error()).isEqualTo(new JobError("handler_error", "boom"));
        assertThat(requeued.finishedAt()).isNull();
        assertThat(store.nextRunAt(now)).contains(now.plusSeconds(5));
        assertThat(claim(N1)).as("not due yet").isEmpty();
        assertThat(claim(N1, now.plusSeconds(5), now.plusSeconds(35))).extracting(Job::attempt).containsExactly(2);
    }

    @Test
    void interruptedCompletionGivesTheAttemptBack() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        claim(N1);

        complete(N1, Completion.interrupted(job.id(), 1L, new JobError("shutdown", "stop"), now));

        Job requeued = store.find(job.id()).orElseThrow();
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.attempt()).isZero();
    }

    @Test
    void cancelQueuedCancelsOnlyQueuedJobs() {
        NewJob running = aJob().build();
        store.insert(List.of(running));
        claim(N1);
        NewJob queued = aJob().build();
        store.insert(List.of(queued));

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
        claim(N1);
        complete(N1, Completion.failed(failed.id(), 1L, new JobError("x", "y"), now),
                Completion.succeeded(done.id(), 1L, null, now));

        assertThat(store.requeue(failed.id(), now.plusSeconds(1))).hasValueSatisfying(job -> {
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
            assertThat(job.attempt()).isZero();
            assertThat(job.error()).isNull();
            assertThat(job.runAt()).isEqualTo(now.plusSeconds(1));
        });
        assertThat(store.requeue(done.id(), now)).isEmpty();
    }

    @Test
    void reapOthersEndsEveryAttemptOfOtherProcesses() {
        NewJob retryable = aJob().maxAttempts(2).build();
        NewJob spent = aJob().maxAttempts(1).build();
        store.insert(List.of(retryable, spent));
        claim("dead");
        NewJob mine = aJob().build();
        store.insert(List.of(mine));
        claim(N1);
        NewJob queued = aJob().build();
        store.insert(List.of(queued));

        assertThat(store.reapOthers(N1, now)).isEqualTo(2);

        assertThat(store.find(retryable.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.state()).isEqualTo(JobState.QUEUED);
            assertThat(job.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
        });
        assertThat(store.find(spent.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.state()).isEqualTo(JobState.FAILED);
            assertThat(job.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
        });
        assertThat(store.find(mine.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
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
        store.insert(List.of(old, recent));
        claim(N1);
        complete(N1, Completion.succeeded(old.id(), 1L, null, now.minus(Duration.ofDays(10))),
                Completion.succeeded(recent.id(), 1L, null, now));
        NewJob queued = aJob().build();
        store.insert(List.of(queued));

        assertThat(store.deleteFinishedBefore(now.minus(Duration.ofDays(1)), 100)).isEqualTo(1);

        assertThat(store.find(old.id())).isEmpty();
        assertThat(store.find(recent.id())).isPresent();
        assertThat(store.find(queued.id())).isPresent();
    }

    @Test
    void deleteFinishedBeforeHonoursItsLimit() {
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build());
        store.insert(jobs);
        claim(N1);
        store.complete(N1, jobs.stream().map(job -> Completion.succeeded(job.id(), 1L, null, now.minusSeconds(60))).toList(),
                List.of());

        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(2);
        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(1);
    }

    @Test
    void claimTakesDueJobsInDispatchOrder() {
        NewJob low = aJob().priority(1).build();
        NewJob high = aJob().priority(8).build();
        NewJob middle = aJob().priority(5).build();
        NewJob later = aJob().priority(9).runAt(now.plusSeconds(60)).build();
        store.insert(List.of(low, high, middle, later));

        List<Job> claimed = store.claim(2, new Lease("n", N1, now.plusSeconds(30)), now);

        assertThat(claimed).extracting(Job::id).containsExactly(high.id(), middle.id());
        assertThat(claimed).allSatisfy(job -> {
            assertThat(job.state()).isEqualTo(JobState.RUNNING);
            assertThat(job.fencingToken()).isEqualTo(1);
        });
        assertThat(store.claim(5, new Lease("n", N1, now.plusSeconds(30)), now)).extracting(Job::id)
            .containsExactly(low.id());
        assertThat(store.countQueued()).isEqualTo(1);
        assertThat(store.nextRunAt(now)).contains(now.plusSeconds(60));
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
                Lease lease = new Lease("n" + t, "instance-" + t, now.plusSeconds(30));
                threads.submit(() -> {
                    List<Job> batch;
                    do {
                        batch = store.claim(7, lease, now);
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
        claim(N1);
        String ok = jobs.get(0).id(), failed = jobs.get(1).id(), retried = jobs.get(2).id(), interrupted = jobs.get(3).id(),
                stale = jobs.get(4).id(), cancelled = jobs.get(5).id();
        progress(N1, interrupted, 1L, 0.5);

        List<Completion> applied = complete(N1,
                Completion.succeeded(ok, 1L, JSON.readTree("{\"n\": [1, \"two\"]}"), now.plusSeconds(1)),
                Completion.failed(failed, 1L, new JobError("bad_input", "it's \"quoted\", {braced}, ünïcode"), now.plusSeconds(2)),
                Completion.retry(retried, 1L, new JobError("handler_error", "boom"), now, now.plusSeconds(5)),
                Completion.interrupted(interrupted, 1L, new JobError("shutdown", "stop"), now),
                Completion.succeeded(stale, 7L, null, now),
                Completion.cancelled(cancelled, 1L, new JobError("cancelled", "by request"), now.plusSeconds(3)));

        assertThat(applied).extracting(Completion::id).containsExactly(ok, failed, retried, interrupted, cancelled);
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
    void aCompletionWriteClaimsTheNextDueJobsInTheSameTransaction() {
        NewJob first = aJob().priority(5).build();
        store.insert(List.of(first));
        Job running = claim(N1).getFirst();
        NewJob high = aJob().priority(8).build();
        NewJob low = aJob().priority(1).build();
        NewJob later = aJob().priority(9).runAt(now.plusSeconds(60)).build();
        store.insert(List.of(low, high, later));

        Completed done = store.complete(N1, List.of(Completion.succeeded(running.id(), running.fencingToken(), null, now)),
                List.of(), new Claim(5, new Lease("n", N1, now.plusSeconds(30)), now));

        assertThat(done.applied()).extracting(Completion::id).containsExactly(first.id());
        assertThat(done.claimed().jobs()).extracting(Job::id).containsExactly(high.id(), low.id());
        assertThat(done.claimed().jobs()).allSatisfy(job -> assertThat(job.state()).isEqualTo(JobState.RUNNING));
        assertThat(store.find(first.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(store.find(later.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.complete(N1, List.of(), List.of(), new Claim(5, new Lease("n", N1, now.plusSeconds(30)), now))
            .claimed().jobs()).isEmpty();
    }

    @Test
    void aCompletionWriteThatFailsClaimsNothing() {
        store.insert(List.of(aJob().build()));
        Job running = claim(N1).getFirst();
        NewJob next = aJob().build();
        store.insert(List.of(next));
        // a result over the store's 1 MB limit fails the whole write
        Completion tooLarge = Completion.succeeded(running.id(), running.fencingToken(),
                JSON.createObjectNode().put("blob", "x".repeat(1_100_000)), now);

        assertThatThrownBy(() -> store.complete(N1, List.of(tooLarge), List.of(),
                new Claim(5, new Lease("n", N1, now.plusSeconds(30)), now)))
            .isInstanceOf(RuntimeException.class);
        assertThat(store.find(next.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.find(running.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    }

    @Test
    void completionUnderAnOlderFencingTokenDoesNothing() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        claim("zombie", now, now.plusSeconds(1));
        assertThat(store.reapExpired(now.plusSeconds(2))).isEqualTo(1);
        Job reclaimed = claim(N2, now.plusSeconds(3), now.plusSeconds(30)).getFirst();
        assertThat(reclaimed.fencingToken()).isEqualTo(2);
        assertThat(reclaimed.attempt()).isEqualTo(2);

        assertThat(complete("zombie", Completion.failed(job.id(), 1L, new JobError("late", "from the zombie"), now)))
            .isEmpty();
        progress("zombie", job.id(), 1L, 0.9);
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(store.find(job.id()).orElseThrow().progress()).isNull();

        complete(N2, Completion.succeeded(job.id(), 2L, null, now));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void heartbeatRenewsTheLeasesOfItsOwnInstanceOnly() {
        // two processes under one node name, as a process restarted in place: the new one must
        // not keep the dead one's jobs alive
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.claim(10, new Lease("host-a", "old-instance", now.plusSeconds(1)), now);
        NewJob other = aJob().build();
        store.insert(List.of(other));
        store.claim(10, new Lease("host-a", "new-instance", now.plusSeconds(1)), now);

        // naming the dead instance's job too: a lease is renewed only under its own instance
        store.heartbeat(new NodeHeartbeat("new-instance", "host-a", now, now, now.plusSeconds(60), 8, now.minusSeconds(60),
                List.of(job.id(), other.id())));

        assertThat(store.reapExpired(now.plusSeconds(10))).isEqualTo(1);
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.find(other.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(store.nodes()).singleElement().satisfies(node -> {
            assertThat(node.instance()).isEqualTo("new-instance");
            assertThat(node.node()).isEqualTo("host-a");
            assertThat(node.running()).isEqualTo(1);
            assertThat(node.concurrency()).isEqualTo(8);
        });
    }

    @Test
    void heartbeatRenewsOnlyTheJobsTheProcessNamesAsRunning() {
        // a claim whose commit succeeded but whose answer was lost leaves rows RUNNING under this
        // instance that the process never started: renewed by instance, they would never run
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build());
        store.insert(jobs);
        List<String> claimed = store.claim(10, new Lease("node-of-" + N1, N1, now.plusSeconds(1)), now).stream()
            .map(Job::id)
            .toList();
        assertThat(claimed).hasSize(3);

        store.heartbeat(new NodeHeartbeat(N1, "node-of-" + N1, now, now, now.plusSeconds(60), 8, now.minusSeconds(60),
                List.of(claimed.get(1))));

        assertThat(store.reapExpired(now.plusSeconds(10))).isEqualTo(2);
        assertThat(claimed).extracting(id -> store.find(id).orElseThrow().state())
            .containsExactly(JobState.QUEUED, JobState.RUNNING, JobState.QUEUED);
    }

    @Test
    void heartbeatRenewsManyJobsAtOnce() {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            jobs.add(aJob().build());
        }
        store.insert(jobs);
        List<String> claimed = store.claim(1000, new Lease("node-of-" + N1, N1, now.plusSeconds(1)), now).stream()
            .map(Job::id)
            .collect(Collectors.toCollection(ArrayList::new));
        claimed.addAll(store.claim(1000, new Lease("node-of-" + N1, N1, now.plusSeconds(1)), now).stream()
            .map(Job::id)
            .toList());
        assertThat(claimed).hasSize(1200);

        store.heartbeat(new NodeHeartbeat(N1, "node-of-" + N1, now, now, now.plusSeconds(60), 8, now.minusSeconds(60),
                claimed));

        assertThat(store.reapExpired(now.plusSeconds(10))).isZero();
    }

    @Test
    void heartbeatRegistersTheInstanceReportsCancelsAndForgetsSilentOnes() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        claim(N1);
        store.heartbeat(new NodeHeartbeat(N2, "other", now.minusSeconds(7200), now.minusSeconds(7200),
                now.minusSeconds(7000), 4, now.minusSeconds(9000), List.of()));

        assertThat(store.requestCancel(job.id())).isTrue();
        List<String> cancels = store.heartbeat(beat(N1, now, now.plusSeconds(60)));

        assertThat(cancels).containsExactly(job.id());
        assertThat(store.nodes()).as("silent for longer than forgetBefore").extracting(NodeView::instance)
            .containsExactly(N1);
        store.heartbeat(beat(N1, now.plusSeconds(1), now.plusSeconds(60)));
        assertThat(store.nodes()).singleElement().extracting(NodeView::heartbeatAt).isEqualTo(now.plusSeconds(1));
        store.leave(N1);
        assertThat(store.nodes()).isEmpty();
    }

    @Test
    void reaperFailsAJobWithNoAttemptsLeft() {
        NewJob job = aJob().maxAttempts(1).build();
        store.insert(List.of(job));
        claim("dead", now, now.plusSeconds(1));

        assertThat(store.reapExpired(now.plusSeconds(5))).isEqualTo(1);

        Job failed = store.find(job.id()).orElseThrow();
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.error().code()).isEqualTo(JobError.LEASE_EXPIRED);
    }

    // --- a cancel asked for a running job sticks ---------------------------------------------

    @Test
    void aCancelAskedWhileRunningWinsOverEveryOutcomeOfTheAttempt() {
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build(), aJob().build(), aJob().build());
        store.insert(jobs);
        claim(N1);
        jobs.forEach(job -> assertThat(store.requestCancel(job.id())).isTrue());
        String succeeded = jobs.get(0).id(), retried = jobs.get(1).id(), timedOut = jobs.get(2).id(),
                deferred = jobs.get(3).id(), interrupted = jobs.get(4).id();

        List<Completion> applied = complete(N1, Completion.succeeded(succeeded, 1L, JSON.readTree("1"), now),
                Completion.retry(retried, 1L, new JobError("handler_error", "boom"), now, now.plusSeconds(1)),
                Completion.retry(timedOut, 1L, new JobError(JobError.TIMEOUT, "too slow"), now, now.plusSeconds(1)),
                Completion.deferred(deferred, 1L, new JobError("circuit_open", "open"), now, now.plusSeconds(1)),
                Completion.interrupted(interrupted, 1L, new JobError("shutdown", "stop"), now));

        assertThat(applied).hasSize(5).allSatisfy(completion -> assertThat(completion.state()).isEqualTo(JobState.CANCELLED));
        for (NewJob job : jobs) {
            Job stored = store.find(job.id()).orElseThrow();
            assertThat(stored.state()).as(job.id()).isEqualTo(JobState.CANCELLED);
            assertThat(stored.error().code()).isEqualTo(JobError.CANCELLED);
            assertThat(stored.result()).isNull();
            assertThat(stored.finishedAt()).isEqualTo(now);
        }
        assertThat(claim(N1, now.plusSeconds(5), now.plusSeconds(35))).as("none runs again").isEmpty();
        assertThat(pendingCancels()).as("no cancel is left asked for an ended attempt").isZero();
    }

    @Test
    void aCancelAskedWhileRunningWinsOverALostLeaseAndADeadProcess() {
        NewJob expired = aJob().build();
        store.insert(List.of(expired));
        claim("dead", now, now.plusSeconds(1));
        NewJob abandoned = aJob().build();
        store.insert(List.of(abandoned));
        claim("gone", now, now.plusSeconds(60));
        store.requestCancel(expired.id());
        store.requestCancel(abandoned.id());

        assertThat(store.reapExpired(now.plusSeconds(2))).isEqualTo(1);
        assertThat(store.reapOthers(N1, now.plusSeconds(2))).isEqualTo(1);

        assertThat(List.of(expired, abandoned)).allSatisfy(job -> {
            Job stored = store.find(job.id()).orElseThrow();
            assertThat(stored.state()).isEqualTo(JobState.CANCELLED);
            assertThat(stored.error().code()).isEqualTo(JobError.CANCELLED);
        });
        assertThat(claim(N1, now.plusSeconds(5), now.plusSeconds(35))).isEmpty();
        assertThat(pendingCancels()).as("no cancel is left asked for an ended attempt").isZero();
        assertThat(store.requeue(expired.id(), now.plusSeconds(6))).as("a cancelled job can be retried")
            .hasValueSatisfying(job -> assertThat(job.state()).isEqualTo(JobState.QUEUED));
        assertThat(claim(N1, now.plusSeconds(6), now.plusSeconds(36))).singleElement().satisfies(job -> {
            complete(N1, Completion.succeeded(job.id(), job.fencingToken(), null, now.plusSeconds(7)));
            assertThat(store.find(job.id()).orElseThrow().state()).as("the old cancel is spent")
                .isEqualTo(JobState.SUCCEEDED);
        });
    }

    @Test
    void cancelIsOnlyRecordedForRunningJobs() {
        NewJob queued = aJob().build();
        store.insert(List.of(queued));

        assertThat(store.requestCancel(queued.id())).isFalse();
        assertThat(store.requestCancel("missing")).isFalse();
    }

    // --- the claim walks its index ---------------------------------------------------------------

    @Test
    void theClaimWalksItsIndexesWithNoScanAndNoSort() {
        // a table shaped like a busy store's: finished jobs, running ones and a backlog over two
        // queues and many keys (with a handful of rows a sort costs nothing and PostgreSQL rightly
        // prefers one)
        List<NewJob> finished = new java.util.ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            finished.add(aJob().concurrencyKey("customer-" + (i % 50)).build());
        }
        store.insert(finished);
        while (!claim(N1).isEmpty()) {
            // all of them
        }
        store.complete(N1, finished.stream().skip(100).map(job -> Completion.succeeded(job.id(), 1L, null, now)).toList(),
                List.of());
        List<NewJob> backlog = new java.util.ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            backlog.add(aJob().priority(i % 10).queue(i % 2 == 0 ? "default" : "exports")
                .concurrencyKey("customer-" + (i % 50)).build());
        }
        store.insert(backlog);
        Dialect dialect = Dialect.of(dataSource());
        org.springframework.jdbc.core.JdbcTemplate jdbc = new org.springframework.jdbc.core.JdbcTemplate(dataSource());
        if (dialect == Dialect.POSTGRES) {
            // autovacuum keeps PostgreSQL's statistics; SQLite has none unless told, and Spindle never tells it
            jdbc.execute("ANALYZE jobs");
        }
        List<String> statements = new LaneClaims(org.springframework.jdbc.core.simple.JdbcClient.create(jdbc), dialect,
                dev.spindle.config.QueueProperties.none()).statements();
        Object at = dialect.instant(now);
        assertWalks(jdbc, dialect, statements.get(0), "jobs_ready", "default", 100);
        assertWalks(jdbc, dialect, statements.get(1), "jobs_ready", "exports", "customer-1", "exports", 100);
        assertWalks(jdbc, dialect, statements.get(2), "jobs_ready", "exports", "customer-1", at, 100);
        assertWalks(jdbc, dialect, statements.get(3), "jobs_ready", "exports", "customer-1", "exports", 20, "exports", at,
                "\uDBFF\uDFFF", "exports", 2, 20, "exports", "", "exports", 20, "exports", at, "customer-1", "exports", 2, 20, 10);
        // the partial index of the running jobs (PostgreSQL may sort them to group them: they are at
        // most the cluster's slots)
        assertReadsOnly(jdbc, dialect, LaneClaims.runningSql(2), "jobs_running", N1, "default", "exports");
    }

    private static void assertWalks(org.springframework.jdbc.core.JdbcTemplate jdbc, Dialect dialect, String sql,
            String index, Object... params) {
        String text = assertReadsOnly(jdbc, dialect, sql, index, params);
        assertThat(text).as(text).doesNotContainIgnoringCase("Sort").doesNotContainIgnoringCase("TEMP B-TREE");
    }

    /** The statement reads through the index, never the whole table; its plan. */
    private static String assertReadsOnly(org.springframework.jdbc.core.JdbcTemplate jdbc, Dialect dialect, String sql,
            String index, Object... params) {
        String explain = dialect == Dialect.POSTGRES ? "EXPLAIN " : "EXPLAIN QUERY PLAN ";
        List<String> plan = jdbc.query(explain + sql, (rs, n) -> rs.getString(dialect == Dialect.POSTGRES ? 1 : 4),
                params);
        String text = String.join("\n", plan);
        assertThat(text).as(text).containsPattern(index);
        assertThat(text).as(text).doesNotContainIgnoringCase("Seq Scan").doesNotContain("SCAN jobs\n")
            .doesNotEndWith("SCAN jobs");
        return text;
    }

    NewJobBuilder aJob() {
        return new NewJobBuilder(now);
    }

    static final String N1 = "instance-1";

    static final String N2 = "instance-2";

    /** Claims every due job (up to 1000) for {@code instance}, with a lease until {@code until}. */
    List<Job> claim(String instance, Instant at, Instant until) {
        return store.claim(1000, new Lease("node-of-" + instance, instance, until), at);
    }

    List<Job> claim(String instance) {
        return claim(instance, now, now.plusSeconds(30));
    }

    List<Completion> complete(String instance, Completion... completions) {
        return store.complete(instance, List.of(completions), List.of());
    }

    void progress(String instance, String id, long token, double fraction) {
        store.complete(instance, List.of(), List.of(new Progress(id, token, fraction)));
    }

    /** Rows still flagged for a cancel (each an entry of the partial index jobs_cancel_requested). */
    long pendingCancels() {
        return JdbcClient.create(dataSource()).sql("SELECT COUNT(*) FROM jobs WHERE cancel_requested").query(Long.class)
            .single();
    }

    NodeHeartbeat beat(String instance, Instant at, Instant leaseUntil) {
        return new NodeHeartbeat(instance, "node-of-" + instance, now, at, leaseUntil, 8, now.minusSeconds(3600), List.of());
    }
}
