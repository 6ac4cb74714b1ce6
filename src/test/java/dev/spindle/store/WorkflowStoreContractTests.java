package dev.spindle.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.spindle.job.Job;
import dev.spindle.job.JobState;
import dev.spindle.store.NewWorkflow.Dependency;
import dev.spindle.workflow.OnFailure;
import dev.spindle.workflow.Workflow;
import dev.spindle.workflow.WorkflowQuery;
import dev.spindle.workflow.WorkflowState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The workflow part of the store contract; one subclass per database runs it on an empty,
 * freshly migrated schema.
 */
abstract class WorkflowStoreContractTests {

    final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    JdbcJobStore store;

    /** What the stores told the pool: released steps, ended workflows. */
    final AtomicInteger released = new AtomicInteger();

    final List<Settled.WorkflowEnd> ended = new CopyOnWriteArrayList<>();

    abstract DataSource dataSource();

    /** How many times the release race is run. */
    abstract int races();

    private AutoCloseable subscription;

    @AfterEach
    void unsubscribe() throws Exception {
        subscription.close();
    }

    @BeforeEach
    void createStore() {
        store = TestStores.emptyStore(dataSource());
        subscription = store.subscribe(new StoreListener() {

            @Override
            public void jobsAvailable() {
            }

            @Override
            public void cancelRequested(String id) {
            }

            @Override
            public void settled(Settled settled) {
                released.addAndGet(settled.released());
                ended.addAll(settled.workflows());
            }
        });
    }

    /** b and c, then d waiting for both. */
    private NewWorkflow diamondTail(NewJob b, NewJob c, NewJob d) {
        String id = TestStores.nextId();
        return new NewWorkflow(id, "tail", null, OnFailure.CANCEL_DEPENDENTS, now, null,
                List.of(b.asStep(id, "b", 0, 0), c.asStep(id, "c", 1, 0), d.asStep(id, "d", 2, 2)),
                List.of(new Dependency(d.id(), b.id()), new Dependency(d.id(), c.id())));
    }

    /** Two threads of their own: the common pool may have one on a small machine. */
    private final ExecutorService writers = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopWriters() {
        writers.shutdownNow();
    }

    @Test
    void aStepIsReleasedExactlyOnceWhenItsLastTwoDependenciesEndAtTheSameInstant() throws Exception {
        for (int race = 0; race < races(); race++) {
            released.set(0);
            NewJob b = new NewJobBuilder(now).build();
            NewJob c = new NewJobBuilder(now).build();
            NewJob d = new NewJobBuilder(now).build();
            NewWorkflow workflow = diamondTail(b, c, d);
            store.insertWorkflow(workflow);
            List<Job> running = new ArrayList<>(store.claim(2, new Lease("n1", "i1", now.plusSeconds(30)), now));
            assertThat(running).extracting(Job::id).containsExactlyInAnyOrder(b.id(), c.id());
            // two writers (two nodes' completion writers) end b and c at once
            CyclicBarrier together = new CyclicBarrier(2);
            List<CompletableFuture<List<Completion>>> writes = running.stream()
                .map(job -> CompletableFuture.supplyAsync(() -> {
                    await(together);
                    return store.complete("i1", List.of(Completion.succeeded(job.id(), job.fencingToken(), null, now)
                            .inWorkflow(workflow.id())),
                            List.of());
                }, writers))
                .toList();
            for (CompletableFuture<List<Completion>> write : writes) {
                assertThat(write.get(30, TimeUnit.SECONDS)).hasSize(1);
            }

            Job released = store.find(d.id()).orElseThrow();
            assertThat(released.state()).as("race %d", race).isEqualTo(JobState.QUEUED);
            assertThat(this.released).as("race %d", race).hasValue(1);
            assertThat(waitingOn(d.id())).isZero();
            List<Job> next = store.claim(10, new Lease("n1", "i1", now.plusSeconds(30)), now);
            assertThat(next).extracting(Job::id).containsExactly(d.id());
            store.complete("i1", List.of(Completion.succeeded(d.id(), next.getFirst().fencingToken(), null, now)
                    .inWorkflow(workflow.id())),
                    List.of());
            assertThat(store.findWorkflow(workflow.id()).orElseThrow().state()).isEqualTo(WorkflowState.SUCCEEDED);
        }
        assertThat(ended).hasSize(races()).allSatisfy(end -> assertThat(end.state()).isEqualTo(WorkflowState.SUCCEEDED));
    }

    @Test
    void childrenCountOnTheirParentAndTheWorkflowAndAreAddedOnce() {
        NewJob parent = new NewJobBuilder(now).build();
        NewJob after = new NewJobBuilder(now).build();
        String id = TestStores.nextId();
        store.insertWorkflow(new NewWorkflow(id, null, null, OnFailure.CANCEL_DEPENDENTS, now, null,
                List.of(parent.asStep(id, "p", 0, 0), after.asStep(id, "after", 1, 1)),
                List.of(new Dependency(after.id(), parent.id()))));
        Job step = store.claim(1, new Lease("n1", "i1", now.plusSeconds(30)), now).getFirst();
        List<NewJob> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(new NewJobBuilder(now).build().asChild(id, step.id(), i));
        }

        assertThat(store.addChildren(step.id(), step.fencingToken(), children, 10)).isEqualTo(3);
        // the same places again (a retried attempt): nothing is added twice
        List<NewJob> again = children.stream().map(child -> new NewJobBuilder(now).build().asChild(id, step.id(),
                child.seq())).toList();
        assertThat(store.addChildren(step.id(), step.fencingToken(), again, 10)).isZero();
        // more than the workflow may hold: none of them
        List<NewJob> tooMany = new ArrayList<>();
        for (int i = 3; i < 9; i++) {
            tooMany.add(new NewJobBuilder(now).build().asChild(id, step.id(), i));
        }
        assertThatThrownBy(() -> store.addChildren(step.id(), step.fencingToken(), tooMany, 10))
            .isInstanceOf(TooManyStepsException.class);
        assertThatThrownBy(() -> store.addChildren(step.id(), step.fencingToken() + 1, again, 10))
            .isInstanceOf(StepNotRunningException.class);
        assertThat(store.findWorkflow(id).orElseThrow().steps()).isEqualTo(5);
        // a step asked to cancel adds no more children
        store.requestCancel(step.id());
        assertThatThrownBy(() -> store.addChildren(step.id(), step.fencingToken(),
                List.of(new NewJobBuilder(now).build().asChild(id, step.id(), 9)), 10))
            .isInstanceOf(StepNotRunningException.class);
        JdbcClient.create(dataSource()).sql("UPDATE jobs SET cancel_requested = FALSE WHERE id = ?").param(step.id())
            .update();

        // the handler returns while its children run: the step waits for them, then ends
        store.complete("i1", List.of(Completion.succeeded(step.id(), step.fencingToken(), null, now).inWorkflow(id)),
                List.of());
        assertThat(store.find(step.id()).orElseThrow().state()).isEqualTo(JobState.WAITING);
        List<Job> claimed = store.claim(10, new Lease("n1", "i1", now.plusSeconds(30)), now);
        assertThat(claimed).extracting(Job::parentId).containsOnly(step.id());
        assertThat(claimed).hasSize(3);
        for (Job child : claimed) {
            assertThat(store.find(after.id()).orElseThrow().state()).isEqualTo(JobState.WAITING);
            store.complete("i1", List.of(Completion.succeeded(child.id(), child.fencingToken(), null, now).inWorkflow(id)),
                    List.of());
        }
        assertThat(store.find(step.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(store.find(after.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.findWorkflow(id).orElseThrow().openSteps()).isEqualTo(1);
    }

    @Test
    void theSubmitterOfAWorkflowItsStepsAndTheirChildrenReadsBack() {
        NewJob only = new NewJobBuilder(now).submittedBy("alice").build();
        String id = TestStores.nextId();
        store.insertWorkflow(new NewWorkflow(id, null, null, OnFailure.CANCEL_DEPENDENTS, now, "alice",
                List.of(only.asStep(id, "only", 0, 0)), List.of()));
        String anonymous = TestStores.nextId();
        store.insertWorkflow(new NewWorkflow(anonymous, null, null, OnFailure.CANCEL_DEPENDENTS, now, null,
                List.of(new NewJobBuilder(now).build().asStep(anonymous, "only", 0, 0)), List.of()));

        assertThat(store.findWorkflow(id).orElseThrow().submittedBy()).isEqualTo("alice");
        assertThat(store.listWorkflows(new WorkflowQuery(null, null, 10, null)).items())
            .extracting(Workflow::id, Workflow::submittedBy)
            .containsExactlyInAnyOrder(tuple(id, "alice"),
                    tuple(anonymous, null));
        assertThat(store.workflowSteps(id).steps()).extracting(Job::submittedBy).containsExactly("alice");
        assertThat(store.workflowSteps(anonymous).steps()).extracting(Job::submittedBy).containsOnlyNulls();
        Job step = store.claim(10, new Lease("n1", "i1", now.plusSeconds(30)), now).stream()
            .filter(job -> job.id().equals(only.id()))
            .findFirst()
            .orElseThrow();
        NewJob child = new NewJobBuilder(now).submittedBy(step.submittedBy()).build().asChild(id, step.id(), 0);
        store.addChildren(step.id(), step.fencingToken(), List.of(child), 10);
        assertThat(store.find(child.id()).orElseThrow().submittedBy()).isEqualTo("alice");
    }

    @Test
    void retentionRemovesAnEndedWorkflowWholeAndLeavesItsJobsToIt() {
        NewJob only = new NewJobBuilder(now).build();
        String id = TestStores.nextId();
        store.insertWorkflow(new NewWorkflow(id, null, null, OnFailure.CANCEL_DEPENDENTS, now, null,
                List.of(only.asStep(id, "only", 0, 0)), List.of()));
        Job step = store.claim(1, new Lease("n1", "i1", now.plusSeconds(30)), now).getFirst();
        store.complete("i1", List.of(Completion.succeeded(step.id(), step.fencingToken(), null, now.minusSeconds(60))
                .inWorkflow(id)), List.of());

        // a job's own retention never takes a workflow's job
        assertThat(store.deleteFinishedBefore(now, 100)).isZero();
        assertThat(store.deleteWorkflowsFinishedBefore(now.plusSeconds(1), 10)).isEqualTo(1);
        assertThat(store.findWorkflow(id)).isEmpty();
        assertThat(store.find(step.id())).isEmpty();
    }

    private long waitingOn(String id) {
        return JdbcClient.create(dataSource()).sql("SELECT waiting_on FROM jobs WHERE id = ?").param(id)
            .query(Long.class).single();
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
