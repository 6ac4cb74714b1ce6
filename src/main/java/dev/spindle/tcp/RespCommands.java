package dev.spindle.tcp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.spindle.config.TcpProperties;
import dev.spindle.intake.IntakeLimiter;
import dev.spindle.intake.IntakeLimiter.Decision;
import dev.spindle.job.InvalidJobException;
import dev.spindle.job.Job;
import dev.spindle.job.JobConflictException;
import dev.spindle.job.JobNotFoundException;
import dev.spindle.job.InvalidInputException;
import dev.spindle.output.JobOutputs;
import dev.spindle.schedule.ScheduleConflictException;
import dev.spindle.store.OutputStore.Stream;
import dev.spindle.schedule.ScheduleNotFoundException;
import dev.spindle.schedule.ScheduleService;
import dev.spindle.schedule.ScheduleView;
import dev.spindle.workflow.InvalidWorkflowException;
import dev.spindle.workflow.WorkflowConflictException;
import dev.spindle.workflow.WorkflowNotFoundException;
import dev.spindle.workflow.WorkflowRequest;
import dev.spindle.workflow.WorkflowService;
import dev.spindle.job.JobRequest;
import dev.spindle.job.JobService;
import dev.spindle.job.JsonFaults;
import dev.spindle.job.OverloadedException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The listener's commands, each a call on {@link JobService}, so RESP gets REST's validation,
 * idempotency, admission and intake limits. Errors are RESP errors and leave the connection usable:
 * {@code -ERR} for bad input, {@code -BUSY} for overload, {@code -LIMIT} for the intake rate limit.
 */
final class RespCommands {

    /** The commands, for dispatch and for one counter each; {@code WORKFLOW_SUBMIT} is sent as {@code WORKFLOW.SUBMIT}. */
    enum Command {
        PING, AUTH, SUBMIT, GET, WAIT, CANCEL, STATS, QUIT, WORKFLOW_SUBMIT, WORKFLOW_GET, WORKFLOW_WAIT, WORKFLOW_CANCEL,
        SCHEDULE_LIST, SCHEDULE_GET, SCHEDULE_TRIGGER, OUTPUT, LOG;

        String wireName() {
            return name().replace('_', '.');
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RespCommands.class);

    private static final Map<String, Command> BY_NAME = Arrays.stream(Command.values())
        .collect(Collectors.toUnmodifiableMap(Command::wireName, command -> command));

    private final JobService jobs;

    private final WorkflowService workflows;

    private final ScheduleService schedules;

    private final JobOutputs outputs;

    private final JsonMapper json;

    private final IntakeLimiter limiter;

    private final TcpProperties properties;

    private final TcpMetrics metrics;

    private final RespAuth auth;

    RespCommands(JobService jobs, WorkflowService workflows, ScheduleService schedules, JobOutputs outputs,
            JsonMapper json, IntakeLimiter limiter, TcpProperties properties, TcpMetrics metrics, RespAuth auth) {
        this.auth = auth;
        this.outputs = outputs;
        this.jobs = jobs;
        this.workflows = workflows;
        this.schedules = schedules;
        this.json = json;
        this.limiter = limiter;
        this.properties = properties;
        this.metrics = metrics;
    }

    /** Whether protected mode refuses this connection; if so, the {@code -DENIED} error is written. */
    boolean denied(RespSession session, RespWriter out) {
        return auth.denied(session, out);
    }

    /**
     * Runs one command and writes its reply.
     *
     * @param session who sent it: what it may run, and whom the intake limiter counts it for
     * @return false when the connection should close after the reply (QUIT, protected mode)
     */
    boolean execute(List<byte[]> arguments, RespWriter out, RespSession session) {
        if (auth.denied(session, out)) {
            return false;
        }
        String name = new String(arguments.getFirst(), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
        Command command = command(name);
        metrics.command(command);
        if (command == null) {
            metrics.error("unknown_command");
            out.error("ERR unknown command '" + abbreviate(name) + "'");
            return true;
        }
        if (!auth.admits(command, session, out)) {
            return true;
        }
        if (command == Command.AUTH) {
            auth.auth(arguments, session, out);
            return true;
        }
        // who is calling, for the services (submittedBy), as Spring Security holds it for a REST request
        SecurityContextHolder.getContext().setAuthentication(session.authentication());
        try {
            return run(command, arguments, out, session.client());
        }
        catch (InvalidJobException ex) {
            metrics.error("invalid");
            out.error("ERR invalid job: " + ex.getMessage());
        }
        catch (InvalidWorkflowException ex) {
            metrics.error("invalid");
            out.error("ERR invalid workflow: " + ex.getMessage());
        }
        catch (InvalidInputException ex) {
            metrics.error("invalid");
            out.error("ERR invalid request: " + ex.getMessage());
        }
        catch (OverloadedException ex) {
            metrics.error("busy");
            out.error("BUSY " + ex.getMessage());
        }
        catch (DataAccessResourceFailureException | TransientDataAccessException ex) {
            metrics.error("busy");
            log.warn("The job store is unavailable: {}", ex.getMostSpecificCause().toString());
            out.error("BUSY the job store is unavailable; nothing was changed, retry later");
        }
        catch (RuntimeException ex) {
            metrics.error("internal");
            log.error("Command {} failed", command, ex);
            out.error("ERR Spindle failed to run the command; the error is logged");
        }
        finally {
            SecurityContextHolder.clearContext();
        }
        return true;
    }

    private boolean run(Command command, List<byte[]> arguments, RespWriter out, String client) {
        switch (command) {
            case PING -> {
                if (arguments.size() > 2) {
                    arity(out, command);
                }
                else if (arguments.size() == 2) {
                    out.bulk(arguments.get(1));
                }
                else {
                    out.simple("PONG");
                }
            }
            case SUBMIT -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else if (permitted(client, out)) {
                    submit(arguments.get(1), out);
                }
            }
            case GET -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else {
                    job(jobs.find(text(arguments.get(1))), out);
                }
            }
            case WAIT -> {
                if (arguments.size() != 3) {
                    arity(out, command);
                }
                else {
                    await(text(arguments.get(1)), text(arguments.get(2)), out);
                }
            }
            case CANCEL -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else if (permitted(client, out)) {
                    out.integer(cancel(text(arguments.get(1))) ? 1 : 0);
                }
            }
            case STATS -> out.bulk(json.writeValueAsBytes(jobs.stats()));
            case WORKFLOW_SUBMIT -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else if (permitted(client, out)) {
                    submitWorkflow(arguments.get(1), out);
                }
            }
            case WORKFLOW_GET -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else {
                    reply(workflows.find(text(arguments.get(1))), out);
                }
            }
            case WORKFLOW_WAIT -> {
                if (arguments.size() != 3) {
                    arity(out, command);
                }
                else {
                    awaitWorkflow(text(arguments.get(1)), text(arguments.get(2)), out);
                }
            }
            case WORKFLOW_CANCEL -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else if (permitted(client, out)) {
                    out.integer(cancelWorkflow(text(arguments.get(1))) ? 1 : 0);
                }
            }
            case SCHEDULE_LIST -> {
                if (arguments.size() != 1) {
                    arity(out, command);
                }
                else {
                    List<ScheduleView> all = schedules.list();
                    out.array(all.size());
                    all.forEach(schedule -> out.bulk(json.writeValueAsBytes(schedule)));
                }
            }
            case SCHEDULE_GET -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else {
                    reply(schedule(text(arguments.get(1))), out);
                }
            }
            case SCHEDULE_TRIGGER -> {
                if (arguments.size() != 2) {
                    arity(out, command);
                }
                else if (permitted(client, out)) {
                    trigger(text(arguments.get(1)), out);
                }
            }
            case OUTPUT, LOG -> {
                if (arguments.size() != 4) {
                    arity(out, command);
                }
                else {
                    read(command == Command.OUTPUT ? Stream.OUTPUT : Stream.LOG, text(arguments.get(1)),
                            text(arguments.get(2)), text(arguments.get(3)), out);
                }
            }
            case QUIT -> {
                out.simple("OK");
                return false;
            }
            case AUTH -> throw new IllegalStateException("AUTH is RespAuth's");
        }
        return true;
    }

    private void submit(byte[] body, RespWriter out) {
        JobRequest request;
        try {
            request = json.readValue(body, JobRequest.class);
        }
        catch (JacksonException ex) {
            metrics.error("invalid");
            out.error("ERR invalid job: " + JsonFaults.describe(ex));
            return;
        }
        if (request == null) {
            metrics.error("invalid");
            out.error("ERR invalid job: the JSON is empty");
            return;
        }
        out.bulk(jobs.submit(request).job().id());
    }

    private void await(String id, String timeout, RespWriter out) {
        Duration wait = timeout(timeout, out);
        if (wait == null) {
            return;
        }
        try {
            job(Optional.of(jobs.await(id, wait)), out);
        }
        catch (JobNotFoundException ex) {
            out.nil();
        }
    }

    /** A WAIT's timeout in milliseconds, or null (and an error replied) when it is not one. */
    private @Nullable Duration timeout(String timeout, RespWriter out) {
        long millis;
        try {
            millis = Long.parseLong(timeout);
        }
        catch (NumberFormatException ex) {
            millis = -1;
        }
        if (millis < 0 || millis > properties.maxWait().toMillis()) {
            metrics.error("invalid");
            out.error("ERR timeout must be a whole number of milliseconds from 0 to " + properties.maxWait().toMillis());
            return null;
        }
        return Duration.ofMillis(millis);
    }

    private void submitWorkflow(byte[] body, RespWriter out) {
        WorkflowRequest request;
        try {
            request = json.readValue(body, WorkflowRequest.class);
        }
        catch (JacksonException ex) {
            metrics.error("invalid");
            out.error("ERR invalid workflow: " + JsonFaults.describe(ex));
            return;
        }
        out.bulk(workflows.submit(request).workflow().id());
    }

    private void awaitWorkflow(String id, String timeout, RespWriter out) {
        Duration wait = timeout(timeout, out);
        if (wait == null) {
            return;
        }
        try {
            reply(Optional.of(workflows.await(id, wait)), out);
        }
        catch (WorkflowNotFoundException ex) {
            out.nil();
        }
    }

    private boolean cancelWorkflow(String id) {
        try {
            workflows.cancel(id);
            return true;
        }
        catch (WorkflowNotFoundException | WorkflowConflictException ex) {
            return false;
        }
    }

    /** Most bytes one OUTPUT or LOG reply carries. */
    static final int MAX_READ = 1 << 20;

    private void read(Stream stream, String id, String offset, String length, RespWriter out) {
        long from;
        int count;
        try {
            from = Long.parseLong(offset);
            count = Integer.parseInt(length);
        }
        catch (NumberFormatException ex) {
            from = -1;
            count = -1;
        }
        if (from < 0 || count < 0 || count > MAX_READ) {
            metrics.error("invalid");
            out.error("ERR offset must be a whole number of bytes from 0, and length from 0 to " + MAX_READ);
            return;
        }
        try {
            out.bulk(outputs.read(id, stream, from, count));
        }
        catch (JobNotFoundException ex) {
            out.nil();
        }
        catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private Optional<ScheduleView> schedule(String name) {
        try {
            return Optional.of(schedules.find(name));
        }
        catch (ScheduleNotFoundException ex) {
            return Optional.empty();
        }
    }

    private void trigger(String name, RespWriter out) {
        try {
            out.bulk(schedules.trigger(name).id());
        }
        catch (ScheduleNotFoundException | ScheduleConflictException ex) {
            metrics.error("invalid");
            out.error("ERR " + ex.getMessage());
        }
    }

    private boolean cancel(String id) {
        try {
            jobs.cancel(id);
            return true;
        }
        catch (JobNotFoundException | JobConflictException ex) {
            return false;
        }
    }

    private void job(Optional<Job> job, RespWriter out) {
        reply(job, out);
    }

    /** The value as JSON, or nil. */
    private void reply(Optional<?> value, RespWriter out) {
        if (value.isPresent()) {
            out.bulk(json.writeValueAsBytes(value.get()));
        }
        else {
            out.nil();
        }
    }

    private boolean permitted(String client, RespWriter out) {
        Decision decision = limiter.acquire(client);
        if (!decision.permitted()) {
            metrics.error("limited");
            out.error("LIMIT " + decision.message());
        }
        return decision.permitted();
    }

    private void arity(RespWriter out, Command command) {
        metrics.error("arity");
        out.error("ERR wrong number of arguments for '" + command.wireName().toLowerCase(Locale.ROOT) + "' command");
    }

    private static @Nullable Command command(String name) {
        return BY_NAME.get(name);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
