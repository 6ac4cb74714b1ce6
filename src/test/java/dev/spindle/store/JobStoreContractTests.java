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

        List<Job> claimed = store.claim(List.of(a.id(), b.id(), "missing"), "n1", now);

        assertThat(claimed).singleElement().satisfies(job -> {
            assertThat(job.id()).isEqualTo(a.id());
            assertThat(job.state()).isEqualTo(JobState.RUNNING);
            assertThat(job.attempt()).isEqualTo(1);
            assertThat(job.node()).isEqualTo("n1");
            assertThat(job.startedAt()).isEqualTo(now);
        });
        assertThat(store.claim(List.of(a.id()), "n2", now)).isEmpty();
    }

    @Test
    void completionEndsOnlyARunningAttempt() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.complete(List.of(Completion.succeeded(job.id(), JSON.readTree("{\"early\": true}"), now)));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);

        store.claim(List.of(job.id()), "n1", now);
        store.progress(job.id(), 0.25);
        assertThat(store.find(job.id()).orElseThrow().progress()).isEqualTo(0.25);
        store.complete(List.of(Completion.succeeded(job.id(), JSON.readTree("{\"ok\": 1}"), now.plusSeconds(1))));

        Job done = store.find(job.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.result()).isEqualTo(JSON.readTree("{\"ok\": 1}"));
        assertThat(done.progress()).isEqualTo(1.0);
        assertThat(done.finishedAt()).isEqualTo(now.plusSeconds(1));
        store.complete(List.of(Completion.failed(job.id(), new JobError("late", "too late"), now)));
        assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void retryCompletionRequeuesAtALaterRunAtKeepingTheAttemptCount() {
        NewJob job = aJob().build();
        store.insert(List.of(job));
        store.claim(List.of(job.id()), "n1", now);

        store.complete(List.of(Completion.retry(job.id(), new JobError("handler_error", "boom"), now, now.plusSeconds(5))));

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
        store.claim(List.of(job.id()), "n1", now);

        store.complete(List.of(Completion.interrupted(job.id(), new JobError("shutdown", "stop"), now)));

        Job requeued = store.find(job.id()).orElseThrow();
        assertThat(requeued.state()).isEqualTo(JobState.QUEUED);
        assertThat(requeued.attempt()).isZero();
    }

    @Test
    void cancelQueuedCancelsOnlyQueuedJobs() {
        NewJob queued = aJob().build();
        NewJob running = aJob().build();
        store.insert(List.of(queued, running));
        store.claim(List.of(running.id()), "n1", now);

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
        store.claim(List.of(failed.id(), done.id()), "n1", now);
        store.complete(List.of(Completion.failed(failed.id(), new JobError("x", "y"), now),
                Completion.succeeded(done.id(), null, now)));

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
        store.claim(List.of(retryable.id(), spent.id()), "dead", now);

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
        store.claim(List.of(old.id(), recent.id()), "n1", now);
        store.complete(List.of(Completion.succeeded(old.id(), null, now.minus(Duration.ofDays(10))),
                Completion.succeeded(recent.id(), null, now)));

        assertThat(store.deleteFinishedBefore(now.minus(Duration.ofDays(1)), 100)).isEqualTo(1);

        assertThat(store.find(old.id())).isEmpty();
        assertThat(store.find(recent.id())).isPresent();
        assertThat(store.find(queued.id())).isPresent();
    }

    @Test
    void deleteFinishedBeforeHonoursItsLimit() {
        List<NewJob> jobs = List.of(aJob().build(), aJob().build(), aJob().build());
        store.insert(jobs);
        store.claim(jobs.stream().map(NewJob::id).toList(), "n1", now);
        store.complete(jobs.stream().map(job -> Completion.succeeded(job.id(), null, now.minusSeconds(60))).toList());

        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(2);
        assertThat(store.deleteFinishedBefore(now, 2)).isEqualTo(1);
    }

    NewJobBuilder aJob() {
        return new NewJobBuilder(now);
    }
}
