package dev.spindle.tcp;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.spindle.config.TcpProperties;
import dev.spindle.intake.IntakeLimiter;
import dev.spindle.security.Access;
import dev.spindle.security.Credentials;
import dev.spindle.job.JobService;
import dev.spindle.output.JobOutputs;
import dev.spindle.schedule.ScheduleService;
import dev.spindle.workflow.WorkflowService;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The RESP listener on {@code spindle.tcp.port}: a blocking accept loop and one virtual thread per
 * connection, at most {@code max-connections} of them.
 *
 * <p>It starts after the worker pool and stops before it, in the web server's phase; the job
 * service closes intake before both. A stop closes the listening socket, closes idle connections,
 * lets commands in hand finish for up to {@code shutdown-grace}, then closes the rest.
 */
@Component
public class RespServer implements SmartLifecycle {

    /** The phase of Boot's web server start/stop: after the worker pool, before the job service's intake. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    private static final Logger log = LoggerFactory.getLogger(RespServer.class);

    private static final byte[] TOO_MANY = "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final long ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final TcpProperties properties;

    private final ObjectProvider<JobService> jobs;

    private final ObjectProvider<WorkflowService> workflows;

    private final ObjectProvider<ScheduleService> schedules;

    private final ObjectProvider<JobOutputs> outputs;

    private final JsonMapper json;

    private final IntakeLimiter limiter;

    private final Access access;

    private final Credentials credentials;

    private volatile @Nullable RespCommands commands;

    private final TcpMetrics metrics;

    private final RespBudget budget;

    private final Map<RespConnection, Thread> connections = new ConcurrentHashMap<>();

    private final AtomicInteger open = new AtomicInteger();

    private volatile @Nullable ScheduledExecutorService sweeper;

    private final ThreadFactory connectionThreads = Thread.ofVirtual().name("spindle-tcp-", 0).factory();

    private volatile @Nullable ServerSocket server;

    private volatile @Nullable Thread acceptor;

    private volatile boolean running;

    /**
     * The job service comes through a provider on purpose: a bean that injects another directly is
     * stopped before it, and this listener must stop after the job service has closed intake and
     * answered the WAITs in progress, or a stop would cut those WAITs off instead of answering them.
     */
    RespServer(TcpProperties properties, ObjectProvider<JobService> jobs, ObjectProvider<WorkflowService> workflows,
            ObjectProvider<ScheduleService> schedules, ObjectProvider<JobOutputs> outputs, JsonMapper json,
            IntakeLimiter limiter, Access access, Credentials credentials, MeterRegistry meters) {
        this.access = access;
        this.credentials = credentials;
        this.outputs = outputs;
        this.properties = properties;
        this.jobs = jobs;
        this.workflows = workflows;
        this.schedules = schedules;
        this.json = json;
        this.limiter = limiter;
        this.budget = new RespBudget(properties.maxBuffered().toBytes());
        this.metrics = new TcpMetrics(meters, open::get, budget::used);
    }

    @Override
    public void start() {
        running = true;
        if (!properties.enabled()) {
            log.info("RESP listener disabled (spindle.tcp.enabled=false)");
            return;
        }
        commands = new RespCommands(jobs.getObject(), workflows.getObject(), schedules.getObject(), outputs.getObject(), json, limiter,
                properties, metrics, new RespAuth(access, credentials, metrics));
        InetSocketAddress address = new InetSocketAddress(properties.address(), properties.port());
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(address, 1024);
            server = socket;
        }
        catch (BindException ex) {
            throw new IllegalStateException("The RESP listener cannot bind " + address + " (" + ex.getMessage()
                    + "); free the port or set spindle.tcp.port", ex);
        }
        catch (IOException ex) {
            throw new IllegalStateException("The RESP listener cannot bind " + address, ex);
        }
        acceptor = Thread.ofPlatform().name("spindle-tcp-accept").daemon().start(this::acceptLoop);
        Duration shortest = shortestPositive(properties.idleTimeout(), properties.commandTimeout());
        if (shortest != null) {
            // made at each start: a stopped context (a test context the cache paused) starts again
            ScheduledExecutorService idle = Executors
                .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-tcp-idle").daemon().factory());
            long every = Math.max(10, Math.min(1000, shortest.toMillis() / 4));
            idle.scheduleWithFixedDelay(this::closeStalled, every, every, TimeUnit.MILLISECONDS);
            sweeper = idle;
        }
        log.info("RESP listener on port {} (at most {} connections)", port(), properties.maxConnections());
    }

    private void acceptLoop() {
        ServerSocket socket = server;
        while (running && socket != null && !socket.isClosed()) {
            try {
                accept(socket.accept());
            }
            catch (IOException ex) {
                if (running && !socket.isClosed()) {
                    // out of file descriptors, say: do not spin on it
                    log.warn("Accepting a RESP connection failed: {}", ex.toString());
                    LockSupport.parkNanos(ACCEPT_RETRY_NANOS);
                }
            }
        }
    }

    private void accept(Socket socket) throws IOException {
        if (open.incrementAndGet() > properties.maxConnections()) {
            open.decrementAndGet();
            metrics.rejected();
            try (socket) {
                socket.getOutputStream().write(TOO_MANY);
                socket.shutdownOutput();
            }
            return;
        }
        try {
            // no SO_TIMEOUT: a timed read makes every wait for the next command schedule and cancel
            // a timer (measured: 3x the context switches per PING); the sweeper closes idle connections
            socket.setTcpNoDelay(true);
        }
        catch (IOException ex) {
            open.decrementAndGet();
            socket.close();
            throw ex;
        }
        metrics.accepted();
        RespConnection[] self = new RespConnection[1];
        RespConnection connection = new RespConnection(socket, Objects.requireNonNull(commands), properties, metrics, budget, () -> {
            if (connections.remove(self[0]) != null) {
                open.decrementAndGet();
            }
        });
        self[0] = connection;
        Thread thread = connectionThreads.newThread(connection);
        connections.put(connection, thread);
        if (!running) {
            connection.close();
            return;
        }
        thread.start();
    }

    private void closeStalled() {
        long now = System.nanoTime();
        Long idleSince = properties.idleTimeout().isPositive() ? now - properties.idleTimeout().toNanos() : null;
        Long commandSince = properties.commandTimeout().isPositive() ? now - properties.commandTimeout().toNanos() : null;
        for (RespConnection connection : connections.keySet()) {
            connection.closeIfStalled(idleSince, commandSince);
        }
    }

    private static @Nullable Duration shortestPositive(Duration a, Duration b) {
        if (!a.isPositive()) {
            return b.isPositive() ? b : null;
        }
        return b.isPositive() && b.compareTo(a) < 0 ? b : a;
    }

    @Override
    public void stop() {
        running = false;
        ScheduledExecutorService idle = sweeper;
        if (idle != null) {
            idle.shutdownNow();
        }
        ServerSocket socket = server;
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        }
        catch (IOException ex) {
            log.debug("Closing the RESP listener failed", ex);
        }
        List<Map.Entry<RespConnection, Thread>> active = List.copyOf(connections.entrySet());
        active.forEach(entry -> entry.getKey().stop());
        long deadline = System.nanoTime() + properties.shutdownGrace().toNanos();
        boolean interrupted = false;
        for (Map.Entry<RespConnection, Thread> entry : active) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !entry.getValue().join(Duration.ofNanos(left))) {
                    entry.getKey().close();
                }
            }
            catch (InterruptedException ex) {
                interrupted = true;
                entry.getKey().close();
            }
        }
        Thread accepting = acceptor;
        if (accepting != null) {
            try {
                accepting.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (InterruptedException ex) {
                interrupted = true;
            }
        }
        server = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        log.info("RESP listener stopped");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Whether the listener accepts connections now. */
    public boolean listening() {
        ServerSocket socket = server;
        return running && socket != null && !socket.isClosed();
    }

    /** The bound port (useful with {@code spindle.tcp.port=0}); -1 when not listening. */
    public int port() {
        ServerSocket socket = server;
        return socket == null ? -1 : socket.getLocalPort();
    }

    /** Bytes of unfinished commands the connections hold now (within {@code max-buffered}). */
    public long buffered() {
        return budget.used();
    }

    /** Connections open now. */
    public int connections() {
        return open.get();
    }

    TcpProperties properties() {
        return properties;
    }
}
