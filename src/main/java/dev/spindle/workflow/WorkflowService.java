package dev.spindle.workflow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import dev.spindle.config.WorkflowProperties;
import dev.spindle.job.InputChecks;
import dev.spindle.job.InvalidJobException;
import dev.spindle.job.Job;
import dev.spindle.job.JobMetrics;
import dev.spindle.job.JobRequest;
import dev.spindle.job.JobService;
import dev.spindle.job.JobState;
import dev.spindle.job.JobWatchers;
import dev.spindle.job.WorkflowAccess;
import dev.spindle.pool.WorkerPool;
import dev.spindle.security.Caller;
import dev.spindle.store.DuplicateIdempotencyKeyException;
import dev.spindle.store.NewJob;
import dev.spindle.store.NewWorkflow;
import dev.spindle.store.NewWorkflow.Dependency;
import dev.spindle.store.WorkflowStore;
import dev.spindle.store.WorkflowStore.WorkflowCancel;
import dev.spindle.store.WorkflowStore.WorkflowSteps;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

import org.springframework.stereotype.Service;

/**
 * The one way in for workflows, over REST and TCP alike: submit (validated whole, stored whole in
 * one transaction, admitted as its steps' jobs are), read with long-poll, list, cancel, retry; and
 * what a running step reaches through its {@link dev.spindle.job.JobContext}: its dependencies'
 * results and the children it adds.
 */
@Service
public class WorkflowService implements WorkflowAccess {

    /** A long-poll also re-reads this often: a workflow that ends on another node wakes no waiter here. */
    private static final Duration RECHECK = Duration.ofSeconds(1);

    private static final int MAX_NAME = 200;

    private static final int MAX_KEY = 255;

    private static final int MAX_ID = 64;

    private final WorkflowStore store;

    private final JobService jobs;

    private final WorkerPool pool;

    private final JobWatchers watchers;

    private final JobMetrics metrics;

    private final WorkflowProperties properties;

    private final Clock clock;

    private final TimeBasedEpochGenerator ids = Generators.timeBasedEpochGenerator();

    WorkflowService(WorkflowStore store, JobService jobs, WorkerPool pool, JobWatchers watchers, JobMetrics metrics,
            WorkflowProperties properties, Clock clock, MeterRegistry meters) {
        this.store = store;
        this.jobs = jobs;
        this.pool = pool;
        this.watchers = watchers;
        this.metrics = metrics;
        this.properties = properties;
        this.clock = clock;
        Gauge.builder("spindle.workflows.open", store, WorkflowStore::countOpenWorkflows)
            .description("Workflows RUNNING, on every node").register(meters);
    }

    /** A submission's outcome: the workflow, and whether this call created it (false: an idempotent repeat). */
    public record Submission(WorkflowView workflow, boolean created) {
    }

    // --- submit ---------------------------------------------------------------------------------

    /**
     * Submits a workflow: every step is stored in one transaction, or (on any fault) none. The
     * workflow and its steps are submitted by the caller on this thread ({@link Caller}).
     *
     * @throws InvalidWorkflowException naming every fault, with nothing stored
     */
    public Submission submit(@Nullable WorkflowRequest request) {
        if (request == null) {
            throw new InvalidWorkflowException(List.of("body: must be a workflow object, not null"));
        }
        List<String> errors = new ArrayList<>();
        List<@Nullable StepRequest> steps = request.steps() == null ? List.of() : request.steps();
        if (steps.isEmpty()) {
            errors.add("steps: must hold at least one step");
        }
        if (steps.size() > properties.maxSteps()) {
            throw new InvalidWorkflowException(List.of("steps: a workflow holds at most " + properties.maxSteps()
                    + " steps (spindle.workflows.max-steps); this one has " + steps.size()));
        }
        Optional<OnFailure> policy = request.onFailure() == null ? Optional.of(OnFailure.CANCEL_DEPENDENTS)
                : OnFailure.of(request.onFailure());
        if (policy.isEmpty()) {
            errors.add("onFailure: must be cancel_dependents or continue");
        }
        OnFailure onFailure = policy.orElse(OnFailure.CANCEL_DEPENDENTS);
        checkText("name", request.name(), 1, MAX_NAME, errors);
        checkText("idempotencyKey", request.idempotencyKey(), 1, MAX_KEY, errors);
        WorkflowGraph.check(steps, errors);
        Instant now = jobs.now();
        String submittedBy = Caller.name();
        String workflowId = ids.generate().toString();
        List<NewJob> prepared = new ArrayList<>(steps.size());
        Map<String, String> jobIds = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            StepRequest step = steps.get(i);
            if (step == null) {
                continue;
            }
            NewJob job = jobs.prepare(step.job(), submittedBy, now, "steps[" + i + "].", errors);
            if (job != null && step.id() != null) {
                prepared.add(job.asStep(workflowId, step.id(), i, step.dependencies().size()));
                jobIds.put(step.id(), job.id());
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidWorkflowException(errors);
        }
        List<Dependency> dependencies = new ArrayList<>();
        for (StepRequest step : steps) {
            for (String dependency : step.dependencies()) {
                dependencies.add(new Dependency(jobIds.get(step.id()), jobIds.get(dependency)));
            }
        }
        NewWorkflow workflow = new NewWorkflow(workflowId, request.name(), request.idempotencyKey(), onFailure, now,
                submittedBy, prepared, dependencies);
        return store(workflow);
    }

    private Submission store(NewWorkflow workflow) {
        String key = workflow.idempotencyKey();
        if (key != null) {
            Optional<Workflow> existing = store.findWorkflowByIdempotencyKey(key);
            if (existing.isPresent()) {
                return new Submission(view(existing.get()), false);
            }
        }
        try {
            jobs.submitNew(workflow.steps(), () -> {
                store.insertWorkflow(workflow);
                return (int) workflow.steps().stream().filter(job -> job.state() == JobState.QUEUED).count();
            });
        }
        catch (DuplicateIdempotencyKeyException ex) {
            // another submission took the key between our lookup and our insert, which stored nothing
            return store.findWorkflowByIdempotencyKey(key == null ? "" : key)
                .map(existing -> new Submission(view(existing), false))
                .orElseThrow(() -> ex);
        }
        metrics.workflowStarted();
        int size = workflow.steps().size();
        Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
        workflow.steps().forEach(job -> counts.merge(job.state(), 1, Integer::sum));
        Workflow stored = new Workflow(workflow.id(), workflow.name(), key, workflow.onFailure(), WorkflowState.RUNNING,
                size, size, workflow.createdAt(), workflow.submittedBy(), null);
        return new Submission(view(stored, new WorkflowSteps(workflow.steps().stream().map(NewJob::toJob).toList(),
                workflow.dependencies(), Map.of(), counts)), true);
    }

    private static void checkText(String field, @Nullable String value, int min, int max, List<String> errors) {
        if (value == null) {
            return;
        }
        if (value.length() < min || value.length() > max) {
            errors.add(field + ": size must be between " + min + " and " + max);
        }
        InputChecks.text(field, value, errors);
    }

    // --- read -----------------------------------------------------------------------------------

    /** The workflow, or empty when there is none (or {@code id} cannot be a workflow's id). */
    public Optional<WorkflowView> find(String id) {
        return possibleId(id) ? store.findWorkflow(id).map(this::view) : Optional.empty();
    }

    /**
     * The workflow once it has ended, or as it stands when {@code wait} has passed.
     *
     * @throws WorkflowNotFoundException when there is none
     */
    public WorkflowView await(String id, Duration wait) {
        Workflow workflow = row(id);
        if (workflow.finishedAt() != null || wait.isZero() || wait.isNegative()) {
            return view(workflow);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        CompletableFuture<Void> ended = watchers.watch(id);
        try {
            while (true) {
                // the workflow's own row only; its steps are read once, for the answer
                workflow = store.findWorkflow(id).orElseThrow(() -> new WorkflowNotFoundException(id));
                long left = deadline - System.nanoTime();
                if (workflow.finishedAt() != null || left <= 0 || ended.isDone() || !jobs.isAccepting()) {
                    return view(workflow);
                }
                try {
                    ended.get(Math.min(left, RECHECK.toNanos()), TimeUnit.NANOSECONDS);
                }
                catch (TimeoutException ex) {
                    // re-read: it may have ended on another node
                }
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return view(workflow);
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException(ex);
        }
        finally {
            watchers.unwatch(id, ended);
        }
    }

    public WorkflowPage list(WorkflowQuery query) {
        List<String> errors = new ArrayList<>();
        InputChecks.text("name", query.name(), errors);
        InputChecks.text("after", query.after(), errors);
        if (!errors.isEmpty()) {
            throw new InvalidWorkflowException(errors);
        }
        return store.listWorkflows(query);
    }

    private WorkflowView view(Workflow workflow) {
        return view(workflow, store.workflowSteps(workflow.id()));
    }

    private static WorkflowView view(Workflow workflow, WorkflowSteps steps) {
        Map<String, String> stepIds = new HashMap<>();
        steps.steps().forEach(job -> stepIds.put(job.id(), job.stepId()));
        Map<String, List<String>> dependsOn = new HashMap<>();
        Set<String> depended = new HashSet<>();
        for (Dependency dependency : steps.dependencies()) {
            dependsOn.computeIfAbsent(dependency.jobId(), id -> new ArrayList<>()).add(stepIds.get(dependency.dependsOn()));
            depended.add(dependency.dependsOn());
        }
        List<WorkflowView.Step> views = new ArrayList<>(steps.steps().size());
        Map<String, JsonNode> results = new LinkedHashMap<>();
        for (Job job : steps.steps()) {
            String stepId = job.stepId() == null ? job.id() : job.stepId();
            List<String> dependencies = dependsOn.getOrDefault(job.id(), List.of());
            views.add(new WorkflowView.Step(stepId, job.id(), job.type(), job.state(),
                    dependencies.stream().sorted().toList(), steps.children().getOrDefault(job.id(), 0), job.error()));
            if (!depended.contains(job.id()) && job.state() == JobState.SUCCEEDED && job.result() != null) {
                results.put(stepId, job.result());
            }
        }
        return new WorkflowView(workflow.id(), workflow.name(), workflow.idempotencyKey(), workflow.onFailure(),
                workflow.state(), workflow.createdAt(), workflow.submittedBy(), workflow.finishedAt(), workflow.steps(),
                steps.counts(), views, results);
    }

    // --- cancel and retry -----------------------------------------------------------------------

    /**
     * Cancels every unfinished job of a RUNNING workflow: waiting and queued ones at once, running
     * ones interrupted on whichever node runs them (they end CANCELLED).
     *
     * @throws WorkflowNotFoundException when there is none
     * @throws WorkflowConflictException when it is not RUNNING
     */
    public WorkflowView cancel(String id) {
        Optional<WorkflowCancel> cancelled = possibleId(id) ? store.cancelWorkflow(id, clock.instant()) : Optional.empty();
        if (cancelled.isEmpty()) {
            Workflow current = row(id);
            throw new WorkflowConflictException("Workflow '" + id + "' is " + current.state()
                    + "; only a RUNNING workflow can be cancelled");
        }
        WorkflowCancel cancel = cancelled.get();
        pool.dequeued(cancel.dequeued());
        cancel.running().forEach(pool::interrupt);
        return view(cancel.workflow());
    }

    /**
     * Re-queues the FAILED and CANCELLED jobs of an ended workflow and re-arms their dependents.
     *
     * @throws WorkflowNotFoundException when there is none
     * @throws WorkflowConflictException when it is running or succeeded
     */
    public WorkflowView retry(String id) {
        // the workflow's row decides; its steps are read once, for the answer
        Workflow current = row(id);
        if (current.finishedAt() == null || current.state() == WorkflowState.SUCCEEDED) {
            throw notRetryable(current);
        }
        Workflow retried = store.retryWorkflow(id, clock.instant()).orElseThrow(() -> new WorkflowNotFoundException(id));
        if (retried.state() != WorkflowState.RUNNING) {
            throw notRetryable(retried);
        }
        return view(retried);
    }

    private static WorkflowConflictException notRetryable(Workflow workflow) {
        return new WorkflowConflictException("Workflow '" + workflow.id() + "' is " + workflow.state()
                + (workflow.finishedAt() == null ? " and still has jobs running" : "")
                + "; only an ended FAILED or CANCELLED workflow can be retried");
    }

    // --- what a running step reaches --------------------------------------------------------------

    @Override
    public Map<String, JsonNode> dependencyResults(Job step) {
        return store.dependencyResults(step.id());
    }

    @Override
    public List<JsonNode> childResults(Job step, String stepId) {
        return store.childResults(step.id(), stepId);
    }

    @Override
    public int addChildren(Job step, int from, List<JobRequest> children) {
        String workflowId = step.workflowId();
        if (workflowId == null || step.stepId() == null) {
            throw new IllegalStateException("Job " + step.id() + " is not a workflow step: only a step can add children");
        }
        Instant now = jobs.now();
        List<String> errors = new ArrayList<>();
        List<NewJob> prepared = new ArrayList<>(children.size());
        for (int i = 0; i < children.size(); i++) {
            // a worker's thread serves no request: the children are submitted by whoever submitted their step
            NewJob child = jobs.prepare(children.get(i), step.submittedBy(), now, "children[" + i + "].", errors);
            if (child != null) {
                prepared.add(child.asChild(workflowId, step.id(), from + i));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidJobException(errors);
        }
        return jobs.submitNew(prepared,
                () -> store.addChildren(step.id(), step.fencingToken(), prepared, properties.maxSteps()));
    }

    /** The workflow's own row, without its steps. */
    private Workflow row(String id) {
        return (possibleId(id) ? store.findWorkflow(id) : Optional.<Workflow>empty())
            .orElseThrow(() -> new WorkflowNotFoundException(id));
    }

    private static boolean possibleId(String id) {
        return id.length() <= MAX_ID && id.indexOf('\0') < 0;
    }
}
