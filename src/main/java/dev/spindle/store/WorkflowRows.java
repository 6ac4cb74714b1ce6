package dev.spindle.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobState;
import dev.spindle.store.NewWorkflow.Dependency;
import dev.spindle.store.Settled.WorkflowEnd;
import dev.spindle.store.WorkflowStore.WorkflowSteps;
import dev.spindle.workflow.OnFailure;
import dev.spindle.workflow.Workflow;
import dev.spindle.workflow.WorkflowPage;
import dev.spindle.workflow.WorkflowQuery;
import dev.spindle.workflow.WorkflowState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.NullNode;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The SQL of workflows, run inside the transactions of {@link JdbcJobStore}: the same statements
 * for SQLite and PostgreSQL. The heart is {@link #settle}: whatever ends workflow jobs calls it in
 * its own transaction, so a step is released by the write that ends its last dependency, never by
 * a poll. Counters do the counting (a step's open dependencies and open children, a workflow's
 * open jobs), so the write that takes one to zero is the one that acts on it, once: two
 * dependencies ending at the same instant on two nodes update the same row of the dependent, and
 * the database orders the two updates.
 *
 * <p>On PostgreSQL rows are locked in one order (the jobs being completed by id, then their
 * dependents by id, then the workflows by id), so two such writes wait for each other rather than
 * deadlock.
 */
final class WorkflowRows {

    private static final String WORKFLOW_COLUMNS = "id, name, idempotency_key, on_failure, state, steps, open_steps, "
            + "created_at, submitted_by, finished_at";

    /** Ids per statement where a list of ids is bound (well inside both databases' limits). */
    private static final int CHUNK = 500;

    private final JdbcTemplate jdbcTemplate;

    private final JdbcClient jdbc;

    private final Dialect dialect;

    private final JsonMapper json;

    private final RowMapper<Job> jobMapper;

    private final String jobColumns;

    WorkflowRows(JdbcTemplate jdbcTemplate, JdbcClient jdbc, Dialect dialect, JsonMapper json, RowMapper<Job> jobMapper,
            String jobColumns) {
        this.jdbcTemplate = jdbcTemplate;
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.json = json;
        this.jobMapper = jobMapper;
        this.jobColumns = jobColumns;
    }

    // --- insert ---------------------------------------------------------------------------------

    /** The workflow's own row and its dependencies; its steps are inserted as jobs beside them. */
    void insert(NewWorkflow workflow) {
        int size = workflow.steps().size();
        jdbcTemplate.update("""
                INSERT INTO workflows (id, name, idempotency_key, on_failure, state, steps, open_steps, created_at,
                                       submitted_by)
                VALUES (?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?)""",
                new Object[] { workflow.id(), workflow.name(), workflow.idempotencyKey(), workflow.onFailure().value(),
                        size, size, dialect.instant(workflow.createdAt()), workflow.submittedBy() },
                new int[] { Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.INTEGER, Types.INTEGER,
                        dialect.instantType(), Types.VARCHAR });
        if (!workflow.dependencies().isEmpty()) {
            jdbcTemplate.batchUpdate("INSERT INTO job_dependencies (depends_on, job_id) VALUES (?, ?)",
                    workflow.dependencies().stream().map(d -> new Object[] { d.dependsOn(), d.jobId() }).toList(),
                    new int[] { Types.VARCHAR, Types.VARCHAR });
        }
    }

    /**
     * Counts {@code added} new children on their parent (which must still run under
     * {@code fencingToken}) and their workflow (which must stay within {@code maxSteps}).
     */
    void childrenAdded(String parentId, long fencingToken, String workflowId, int added, int maxSteps) {
        // a step asked to cancel (alone, or with its workflow) adds no more children
        int parent = jdbc.sql("""
                UPDATE jobs SET open_children = open_children + ?
                WHERE id = ? AND state = 'RUNNING' AND fencing_token = ? AND NOT cancel_requested""")
            .params(added, parentId, fencingToken)
            .update();
        if (parent == 0) {
            throw new StepNotRunningException("Job " + parentId + " is no longer running under fencing token "
                    + fencingToken + " (or is being cancelled): its children were not added");
        }
        int workflow = jdbc.sql("""
                UPDATE workflows SET steps = steps + ?, open_steps = open_steps + ?
                WHERE id = ? AND state = 'RUNNING' AND steps + ? <= ?""")
            .params(added, added, workflowId, added, maxSteps)
            .update();
        if (workflow == 0 && !find(workflowId).map(w -> w.state() == WorkflowState.RUNNING).orElse(false)) {
            throw new StepNotRunningException("Workflow " + workflowId + " is no longer running: the children of job "
                    + parentId + " were not added");
        }
        if (workflow == 0) {
            throw new TooManyStepsException("Workflow " + workflowId + " would hold more than " + maxSteps
                    + " jobs (spindle.workflows.max-steps) with " + added + " more children");
        }
    }

    /** How many children {@code parentId} has at the places of {@code children} (by their {@code seq}). */
    int children(String parentId, List<NewJob> children) {
        int from = children.stream().mapToInt(child -> Objects.requireNonNull(child.seq())).min().orElse(0);
        int to = children.stream().mapToInt(child -> Objects.requireNonNull(child.seq())).max().orElse(-1);
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE parent_id = ? AND seq >= ? AND seq <= ?")
            .params(parentId, from, to)
            .query(Integer.class)
            .single();
    }

    /** The workflow of a RUNNING step job held under {@code fencingToken}, locked for the caller. */
    Optional<String> runningStep(String jobId, long fencingToken) {
        return jdbc.sql("SELECT workflow_id FROM jobs WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?"
                + dialect.forUpdate())
            .params(jobId, fencingToken)
            .query((rs, n) -> Optional.ofNullable(rs.getString(1)))
            .optional()
            .flatMap(workflow -> workflow);
    }

    // --- reads ----------------------------------------------------------------------------------

    Optional<Workflow> find(String id) {
        return jdbc.sql("SELECT " + WORKFLOW_COLUMNS + " FROM workflows WHERE id = ?").param(id).query(this::mapWorkflow)
            .optional();
    }

    Optional<Workflow> findByIdempotencyKey(String key) {
        return jdbc.sql("SELECT " + WORKFLOW_COLUMNS + " FROM workflows WHERE idempotency_key = ?")
            .param(key)
            .query(this::mapWorkflow)
            .optional();
    }

    WorkflowPage list(WorkflowQuery query) {
        StringBuilder sql = new StringBuilder("SELECT " + WORKFLOW_COLUMNS + " FROM workflows WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.state() != null) {
            sql.append(" AND state = ?");
            params.add(query.state().name());
        }
        if (query.name() != null) {
            sql.append(" AND name = ?");
            params.add(query.name());
        }
        if (query.after() != null) {
            sql.append(" AND id < ?");
            params.add(query.after());
        }
        // as for jobs: leading with the filtered column keeps the walk on its index, unsorted
        String leading = query.state() != null ? "state DESC, " : query.name() != null ? "name DESC, " : "";
        sql.append(" ORDER BY ").append(leading).append("id DESC LIMIT ?");
        params.add(query.limit() + 1);
        List<Workflow> items = jdbc.sql(sql.toString()).params(params).query(this::mapWorkflow).list();
        if (items.size() <= query.limit()) {
            return new WorkflowPage(items, null);
        }
        List<Workflow> page = items.subList(0, query.limit());
        return new WorkflowPage(List.copyOf(page), page.getLast().id());
    }

    WorkflowSteps steps(String workflowId) {
        List<Job> steps = jdbc.sql("SELECT " + jobColumns
                + " FROM jobs WHERE workflow_id = ? AND parent_id IS NULL ORDER BY seq")
            .param(workflowId)
            .query(jobMapper)
            .list();
        List<Dependency> dependencies = jdbc.sql("""
                SELECT d.job_id, d.depends_on FROM job_dependencies d JOIN jobs j ON j.id = d.job_id
                WHERE j.workflow_id = ?""")
            .param(workflowId)
            .query((rs, n) -> new Dependency(rs.getString(1), rs.getString(2)))
            .list();
        Map<String, Integer> children = new HashMap<>();
        Map<JobState, Integer> counts = new EnumMap<>(JobState.class);
        jdbc.sql("SELECT parent_id, state, COUNT(*) FROM jobs WHERE workflow_id = ? GROUP BY parent_id, state")
            .param(workflowId)
            .query(rs -> {
                String parent = rs.getString(1);
                int count = rs.getInt(3);
                counts.merge(JobState.valueOf(rs.getString(2)), count, Integer::sum);
                if (parent != null) {
                    children.merge(parent, count, Integer::sum);
                }
            });
        return new WorkflowSteps(steps, dependencies, children, counts);
    }

    Map<String, JsonNode> dependencyResults(String jobId) {
        Map<String, JsonNode> results = new LinkedHashMap<>();
        jdbc.sql("""
                SELECT p.step_id, p.result FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on
                WHERE d.job_id = ? AND p.state = 'SUCCEEDED' ORDER BY p.seq""")
            .param(jobId)
            .query(rs -> {
                String result = rs.getString(2);
                results.put(rs.getString(1), result == null ? NullNode.getInstance() : json.readTree(result));
            });
        return results;
    }

    List<JsonNode> childResults(String jobId, String stepId) {
        return jdbc.sql("""
                SELECT c.state, c.result FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on
                JOIN jobs c ON c.parent_id = p.id
                WHERE d.job_id = ? AND p.step_id = ? ORDER BY c.seq""")
            .params(jobId, stepId)
            .query((rs, n) -> {
                String result = rs.getString(2);
                return JobState.SUCCEEDED.name().equals(rs.getString(1)) && result != null ? json.readTree(result)
                        : (JsonNode) NullNode.getInstance();
            })
            .list();
    }

    // --- settling: what the end of workflow jobs does -------------------------------------------

    /** A workflow job that a write just ended (or thought it ended). */
    private record Ended(String id, String workflowId, @Nullable String stepId, @Nullable String parentId,
            JobState state, int openChildren, OnFailure onFailure) {

        /** Whether its dependents may count it as done: it succeeded, or its workflow goes on anyway. */
        boolean lets() {
            return state == JobState.SUCCEEDED || onFailure == OnFailure.CONTINUE;
        }
    }

    /**
     * Settles the workflows of jobs that the caller's transaction just ended (jobs outside any
     * workflow are ignored, at the cost of one read by primary key): a step that succeeded while
     * children it added still run waits for them (WAITING again); dependents whose last
     * dependency this was are released (QUEUED); dependents of a step that did not succeed are
     * cancelled with {@code dependency_failed}, with their own dependents (under
     * {@code cancel_dependents}); a parent whose last child this was ends; a workflow whose last
     * job this was ends.
     */
    Settled settle(Collection<String> endedIds, Instant now) {
        Settled settled = Settled.NONE;
        List<Ended> all = new ArrayList<>();
        Collection<String> ids = endedIds;
        while (!ids.isEmpty()) {
            List<Ended> ended = new ArrayList<>();
            List<String> stillParents = new ArrayList<>();
            for (Ended row : ended(ids)) {
                if (row.state() == JobState.SUCCEEDED && row.openChildren() > 0) {
                    stillParents.add(row.id());
                }
                else if (row.state().isTerminal()) {
                    ended.add(row);
                }
            }
            awaitChildren(stillParents);
            if (ended.isEmpty()) {
                break;
            }
            // a child is never a dependency: only steps release others
            int released = release(ended.stream().filter(row -> row.parentId() == null && row.lets()).map(Ended::id)
                .toList(), now);
            List<Ended> cancelled = new ArrayList<>();
            for (Ended row : ended) {
                if (row.parentId() == null && !row.lets()) {
                    cancelled.addAll(cancelDependents(row, now));
                }
            }
            List<String> parents = childrenEnded(ended, now);
            all.addAll(ended);
            all.addAll(cancelled);
            List<String> jobs = new ArrayList<>(cancelled.stream().map(Ended::id).toList());
            jobs.addAll(parents);
            settled = settled.plus(new Settled(released, jobs, List.of()));
            ids = parents;
        }
        // the workflows last, once: their rows come after every job row in the lock order
        return all.isEmpty() ? settled : settled.plus(new Settled(0, List.of(), count(all, now)));
    }

    private List<Ended> ended(Collection<String> ids) {
        List<Ended> rows = new ArrayList<>();
        for (List<String> chunk : chunks(ids)) {
            rows.addAll(jdbc.sql("""
                    SELECT j.id, j.workflow_id, j.step_id, j.parent_id, j.state, j.open_children, w.on_failure
                    FROM jobs j JOIN workflows w ON w.id = j.workflow_id
                    WHERE j.id IN (%s)""".formatted(JdbcJobStore.marks(chunk.size())))
                .params(chunk)
                .query((rs, n) -> new Ended(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        JobState.valueOf(rs.getString(5)), rs.getInt(6),
                        OnFailure.of(rs.getString(7)).orElse(OnFailure.CANCEL_DEPENDENTS)))
                .list());
        }
        rows.sort((a, b) -> a.id().compareTo(b.id()));
        return rows;
    }

    /** Steps whose handler succeeded while children still run: they end with their last child. */
    private void awaitChildren(List<String> ids) {
        for (List<String> chunk : chunks(ids)) {
            jdbc.sql("UPDATE jobs SET state = 'WAITING', finished_at = NULL WHERE state = 'SUCCEEDED' AND id IN (%s)"
                .formatted(JdbcJobStore.marks(chunk.size()))).params(chunk).update();
        }
    }

    /** One dependency fewer for each dependent of {@code ids}; those left with none are QUEUED. */
    private int release(List<String> ids, Instant now) {
        if (ids.isEmpty()) {
            return 0;
        }
        // by dependent id: the lock order
        Map<String, Integer> dependents = new TreeMap<>();
        for (List<String> chunk : chunks(ids)) {
            jdbc.sql("SELECT job_id, COUNT(*) FROM job_dependencies WHERE depends_on IN (%s) GROUP BY job_id"
                .formatted(JdbcJobStore.marks(chunk.size())))
                .params(chunk)
                .query(rs -> {
                    dependents.merge(rs.getString(1), rs.getInt(2), Integer::sum);
                });
        }
        if (dependents.isEmpty()) {
            return 0;
        }
        jdbcTemplate.batchUpdate("UPDATE jobs SET waiting_on = waiting_on - ? WHERE id = ? AND state = 'WAITING'",
                dependents.entrySet().stream().map(e -> new Object[] { e.getValue(), e.getKey() }).toList(),
                new int[] { Types.INTEGER, Types.VARCHAR });
        int released = 0;
        for (List<String> chunk : chunks(dependents.keySet())) {
            List<Object> params = new ArrayList<>(chunk.size() + 1);
            params.add(dialect.instant(now));
            params.addAll(chunk);
            released += jdbc.sql("""
                    UPDATE jobs SET state = 'QUEUED', run_at = ?
                    WHERE state = 'WAITING' AND waiting_on <= 0 AND open_children <= 0 AND id IN (%s)"""
                .formatted(JdbcJobStore.marks(chunk.size())))
                .params(params)
                .update();
        }
        if (released > 0) {
            dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
        }
        return released;
    }

    /** Cancels every WAITING step that depends on {@code failed}, directly or not. */
    private List<Ended> cancelDependents(Ended failed, Instant now) {
        String message = failed.stepId() != null
                ? "Not run: step '" + failed.stepId() + "', which it depends on, ended " + failed.state()
                : "Not run: a job it depends on (" + failed.id() + ") ended " + failed.state();
        // the rows first, locked in id order (the lock order), then changed
        List<String> down = jdbc.sql("""
                WITH RECURSIVE down(id) AS (
                    SELECT job_id FROM job_dependencies WHERE depends_on = ?
                    UNION
                    SELECT d.job_id FROM job_dependencies d JOIN down ON d.depends_on = down.id)
                SELECT id FROM jobs WHERE state = 'WAITING' AND id IN (SELECT id FROM down) ORDER BY id"""
                + dialect.forUpdate())
            .param(failed.id())
            .query(String.class)
            .list();
        List<Ended> cancelled = new ArrayList<>(down.size());
        for (List<String> chunk : chunks(down)) {
            List<Object> params = new ArrayList<>(List.of(JobError.DEPENDENCY_FAILED, message, dialect.instant(now)));
            params.addAll(chunk);
            cancelled.addAll(jdbc.sql("""
                    UPDATE jobs SET state = 'CANCELLED', error_code = ?, error_message = ?, finished_at = ?
                    WHERE state = 'WAITING' AND id IN (%s)
                    RETURNING id, workflow_id""".formatted(JdbcJobStore.marks(chunk.size())))
                .params(params)
                .query((rs, n) -> new Ended(rs.getString(1), rs.getString(2), null, null, JobState.CANCELLED, 0,
                        failed.onFailure()))
                .list());
        }
        return cancelled;
    }

    /**
     * One open child fewer on the parents of ended children; a parent whose handler has returned
     * and whose last child this was ends: SUCCEEDED when every child did, else FAILED.
     *
     * @return the parents that ended
     */
    private List<String> childrenEnded(List<Ended> ended, Instant now) {
        Map<String, Integer> parents = new TreeMap<>();
        for (Ended row : ended) {
            if (row.parentId() != null) {
                parents.merge(row.parentId(), 1, Integer::sum);
            }
        }
        if (parents.isEmpty()) {
            return List.of();
        }
        // one parent at a time, in id order (the lock order); only one left with no open child
        // and a returned handler is looked at again
        List<String> ready = new ArrayList<>();
        for (Map.Entry<String, Integer> parent : parents.entrySet()) {
            jdbc.sql("""
                    UPDATE jobs SET open_children = open_children - ? WHERE id = ?
                    RETURNING open_children, state, waiting_on""")
                .params(parent.getValue(), parent.getKey())
                .query(rs -> {
                    if (rs.getInt(1) <= 0 && JobState.WAITING.name().equals(rs.getString(2)) && rs.getInt(3) <= 0) {
                        ready.add(parent.getKey());
                    }
                });
        }
        List<String> done = new ArrayList<>();
        Object at = dialect.instant(now);
        for (String parent : ready) {
            boolean allSucceeded = jdbc.sql("SELECT COUNT(*) FROM jobs WHERE parent_id = ? AND state <> 'SUCCEEDED'")
                .param(parent)
                .query(Integer.class)
                .single() == 0;
            if (allSucceeded) {
                jdbc.sql("UPDATE jobs SET state = 'SUCCEEDED', finished_at = ? WHERE id = ? AND state = 'WAITING'")
                    .params(at, parent)
                    .update();
            }
            else {
                jdbc.sql("""
                        UPDATE jobs SET state = 'FAILED', error_code = ?, error_message = ?, finished_at = ?
                        WHERE id = ? AND state = 'WAITING'""")
                    .params(JobError.CHILD_FAILED, "A child it added did not succeed", at, parent)
                    .update();
            }
            done.add(parent);
        }
        return done;
    }

    /** Counts ended jobs off their workflows; those left with none open end. */
    private List<WorkflowEnd> count(List<Ended> ended, Instant now) {
        Map<String, int[]> byWorkflow = new TreeMap<>();
        for (Ended row : ended) {
            int[] counts = byWorkflow.computeIfAbsent(row.workflowId(), id -> new int[2]);
            counts[0]++;
            if (row.state() != JobState.SUCCEEDED) {
                counts[1]++;
            }
        }
        List<WorkflowEnd> ends = new ArrayList<>();
        Object at = dialect.instant(now);
        // one workflow at a time, in id order (the lock order); only one left with nothing open ends
        for (Map.Entry<String, int[]> workflow : byWorkflow.entrySet()) {
            boolean last = jdbc.sql("""
                    UPDATE workflows SET open_steps = open_steps - ?, failed_steps = failed_steps + ?
                    WHERE id = ? RETURNING open_steps""")
                .params(workflow.getValue()[0], workflow.getValue()[1], workflow.getKey())
                .query(Integer.class)
                .optional()
                .map(open -> open <= 0)
                .orElse(false);
            if (last) {
                ends.addAll(jdbc.sql("""
                        UPDATE workflows SET state = CASE WHEN state <> 'RUNNING' THEN state
                                                          WHEN failed_steps > 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
                                             finished_at = ?
                        WHERE id = ? AND finished_at IS NULL
                        RETURNING id, state""")
                    .params(at, workflow.getKey())
                    .query((rs, n) -> new WorkflowEnd(rs.getString(1), WorkflowState.valueOf(rs.getString(2))))
                    .list());
            }
        }
        return ends;
    }

    // --- cancel, retry, retention ---------------------------------------------------------------

    /**
     * What a workflow cancel changed.
     *
     * @param ended the jobs it ended (for the caller to settle)
     * @param dequeued how many of them were QUEUED
     * @param running the RUNNING jobs it asked to cancel
     */
    record Cancelled(List<String> ended, int dequeued, List<String> running) {
    }

    /**
     * Cancels a RUNNING workflow: its WAITING and QUEUED jobs now, its RUNNING ones by request.
     * The jobs are locked first and the workflow's row last (the lock order of completions).
     *
     * @return what it changed, or null when the workflow is not RUNNING
     */
    @Nullable Cancelled cancel(String id, Instant now) {
        if (!find(id).map(workflow -> workflow.state() == WorkflowState.RUNNING).orElse(false)) {
            return null;
        }
        jdbc.sql("SELECT id FROM jobs WHERE workflow_id = ? AND state IN ('WAITING', 'QUEUED', 'RUNNING') ORDER BY id"
                + dialect.forUpdate())
            .param(id)
            .query(String.class)
            .list();
        Object at = dialect.instant(now);
        String cancel = """
                UPDATE jobs SET state = 'CANCELLED', error_code = ?, error_message = ?, finished_at = ?
                WHERE workflow_id = ? AND state = ? RETURNING id""";
        List<String> ended = new ArrayList<>(jdbc.sql(cancel)
            .params(JobError.CANCELLED, "Cancelled with its workflow before it started", at, id, "QUEUED")
            .query(String.class)
            .list());
        int dequeued = ended.size();
        ended.addAll(jdbc.sql(cancel)
            .params(JobError.CANCELLED, "Cancelled with its workflow", at, id, "WAITING")
            .query(String.class)
            .list());
        List<String> running = jdbc.sql("""
                UPDATE jobs SET cancel_requested = TRUE WHERE workflow_id = ? AND state = 'RUNNING' RETURNING id""")
            .param(id)
            .query(String.class)
            .list();
        int marked = jdbc.sql("UPDATE workflows SET state = 'CANCELLED' WHERE id = ? AND state = 'RUNNING'")
            .param(id)
            .update();
        if (marked == 0) {
            // it ended meanwhile: the caller's transaction is rolled back with this
            throw new WorkflowEndedException(id);
        }
        running.forEach(job -> dialect.notify(jdbcTemplate, PostgresNotifications.CANCEL_CHANNEL, job));
        return new Cancelled(ended, dequeued, running);
    }

    /**
     * Re-arms the FAILED and CANCELLED jobs of an ended, unsuccessful workflow.
     *
     * @return how many of them are QUEUED now (the others WAIT for their dependencies), or -1
     *         when the workflow is not one that can be retried
     */
    int retry(String id, Instant now) {
        int failed = jdbc.sql("SELECT COUNT(*) FROM jobs WHERE workflow_id = ? AND state IN ('FAILED', 'CANCELLED')")
            .param(id)
            .query(Integer.class)
            .single();
        int reopened = jdbc.sql("""
                UPDATE workflows SET state = 'RUNNING', finished_at = NULL, open_steps = ?, failed_steps = 0
                WHERE id = ? AND state IN ('FAILED', 'CANCELLED') AND finished_at IS NOT NULL""")
            .params(failed, id)
            .update();
        if (reopened == 0) {
            return -1;
        }
        Object at = dialect.instant(now);
        jdbc.sql("""
                UPDATE jobs SET state = 'WAITING', run_at = ?, %s,
                                waiting_on = (SELECT COUNT(*) FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on
                                              WHERE d.job_id = jobs.id AND p.state <> 'SUCCEEDED'),
                                open_children = (SELECT COUNT(*) FROM jobs c
                                                 WHERE c.parent_id = jobs.id AND c.state <> 'SUCCEEDED')
                WHERE workflow_id = ? AND state IN ('FAILED', 'CANCELLED')""".formatted(JdbcJobStore.REARMED))
            .params(at, id)
            .update();
        // a step re-runs its handler even while children it added before are re-queued: it adds
        // them again, and those it has already are not added twice
        int queued = jdbc.sql("UPDATE jobs SET state = 'QUEUED' WHERE workflow_id = ? AND state = 'WAITING' AND waiting_on = 0")
            .param(id)
            .update();
        if (queued > 0) {
            dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
        }
        return queued;
    }

    int deleteFinishedBefore(Instant cutoff, int limit) {
        List<String> ids = jdbc.sql("SELECT id FROM workflows WHERE finished_at < ? ORDER BY finished_at LIMIT ?")
            .params(dialect.instant(cutoff), limit)
            .query(String.class)
            .list();
        if (ids.isEmpty()) {
            return 0;
        }
        // the workflow first, and only while it has still ended: one retried meanwhile stays whole
        List<String> deleted = jdbc.sql("DELETE FROM workflows WHERE id IN (:ids) AND finished_at < :cutoff RETURNING id")
            .param("ids", ids)
            .param("cutoff", dialect.instant(cutoff))
            .query(String.class)
            .list();
        if (deleted.isEmpty()) {
            return 0;
        }
        jdbc.sql("DELETE FROM job_dependencies WHERE job_id IN (SELECT id FROM jobs WHERE workflow_id IN (:ids))")
            .param("ids", deleted)
            .update();
        jdbc.sql("DELETE FROM job_chunks WHERE job_id IN (SELECT id FROM jobs WHERE workflow_id IN (:ids))")
            .param("ids", deleted)
            .update();
        jdbc.sql("DELETE FROM jobs WHERE workflow_id IN (:ids)").param("ids", deleted).update();
        return deleted.size();
    }

    // --- rows -----------------------------------------------------------------------------------

    private Workflow mapWorkflow(ResultSet rs, int rowNum) throws SQLException {
        return new Workflow(rs.getString(1), rs.getString(2), rs.getString(3),
                OnFailure.of(rs.getString(4)).orElseThrow(), WorkflowState.valueOf(rs.getString(5)), rs.getInt(6),
                rs.getInt(7), Objects.requireNonNull(dialect.instant(rs, 8)), rs.getString(9), dialect.instant(rs, 10));
    }

    private static List<List<String>> chunks(Collection<String> ids) {
        List<String> list = List.copyOf(ids);
        List<List<String>> chunks = new ArrayList<>();
        for (int from = 0; from < list.size(); from += CHUNK) {
            chunks.add(list.subList(from, Math.min(list.size(), from + CHUNK)));
        }
        return chunks;
    }

}
