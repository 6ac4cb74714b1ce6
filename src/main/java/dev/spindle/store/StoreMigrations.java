package dev.spindle.store;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Brings the schema up to date when the application starts, without making the start depend on
 * the database being up: while it is unreachable, the service runs (readiness DOWN, submissions
 * 503) and retries every few seconds with one line of log, not a crash loop of stack traces.
 * A schema newer than this code is refused at once: the service stops and says why.
 *
 * <p>It stands in for Boot's migration at bean creation ({@link #strategy()} defers it here) and
 * runs in the lifecycle phase before the worker pool, which waits for {@link #ready()}.
 */
@Component
public class StoreMigrations implements SmartLifecycle, FlywayMigrationStrategy {

    /** Before the worker pool. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 8192;

    private static final Logger log = LoggerFactory.getLogger(StoreMigrations.class);

    private static final Duration RETRY_DELAY = Duration.ofSeconds(5);

    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    private final ScheduledExecutorService retries = Executors
        .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-store-init").daemon().factory());

    private volatile @Nullable Flyway flyway;

    private volatile boolean running;

    /** Boot hands over its configured Flyway here instead of migrating during bean creation. */
    @Override
    public void migrate(Flyway flyway) {
        this.flyway = flyway;
    }

    /** Completes once the schema is current; the worker pool starts then. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    @Override
    public void start() {
        running = true;
        Flyway configured = flyway;
        if (configured == null) {
            // migrations are off (spring.flyway.enabled=false): the schema is someone else's business
            ready.complete(null);
            return;
        }
        if (!attempt(configured, true)) {
            retries.scheduleWithFixedDelay(() -> {
                try {
                    if (!ready.isDone()) {
                        attempt(configured, false);
                    }
                }
                catch (RuntimeException ex) {
                    // reachable now, but unusable (a newer schema, a failed migration): stay not ready
                    log.error("The job store cannot be used; the service stays not ready: {}", ex.getMessage());
                    ready.completeExceptionally(ex);
                }
                if (ready.isDone()) {
                    retries.shutdown();
                }
            }, RETRY_DELAY.toMillis(), RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Migrates; false when the database is unreachable. Any other failure stops the start. */
    private boolean attempt(Flyway configured, boolean first) {
        try {
            refuseNewerSchema(configured);
            configured.migrate();
            if (!first) {
                log.info("The job store is reachable again; schema is current");
            }
            ready.complete(null);
            return true;
        }
        catch (RuntimeException ex) {
            if (!unreachable(ex)) {
                throw ex;
            }
            if (first) {
                log.warn("The job store is unreachable ({}); retrying every {}. Readiness is DOWN and "
                        + "submissions get 503 until it answers.", rootMessage(ex), RETRY_DELAY);
            }
            return false;
        }
    }

    private static void refuseNewerSchema(Flyway flyway) {
        MigrationInfo[] future = Arrays.stream(flyway.info().applied())
            .filter(info -> info.getState() == MigrationState.FUTURE_SUCCESS
                    || info.getState() == MigrationState.FUTURE_FAILED)
            .toArray(MigrationInfo[]::new);
        if (future.length > 0) {
            MigrationInfo newest = future[future.length - 1];
            MigrationInfo current = flyway.info().current();
            throw new IllegalStateException(("The job store's schema is at version %s (\"%s\"), newer than this "
                    + "Spindle knows (its newest migration is %s). It was migrated by a newer release; run that "
                    + "release, or restore a backup made before the upgrade. Refusing to start.")
                .formatted(newest.getVersion(), newest.getDescription(),
                        Arrays.stream(flyway.info().all())
                            .filter(info -> info.getState() != MigrationState.FUTURE_SUCCESS
                                    && info.getState() != MigrationState.FUTURE_FAILED)
                            .map(MigrationInfo::getVersion)
                            .reduce((a, b) -> b)
                            .map(Object::toString)
                            .orElse(current == null ? "none" : current.getVersion().toString())));
        }
    }

    private static boolean unreachable(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof java.net.ConnectException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable ex) {
        Throwable root = ex;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    @Override
    public void stop() {
        running = false;
        retries.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
