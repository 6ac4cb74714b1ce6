package dev.spindle.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on PostgreSQL for jobs made available and cancels asked by other nodes (LISTEN/NOTIFY),
 * on one connection held for the purpose. A lost connection is re-established, and the listener
 * is told jobs may be available each time, since notifications sent meanwhile are lost; the
 * dispatchers' polling covers the gap.
 */
final class PostgresNotifications {

    static final String JOBS_CHANNEL = "spindle_jobs";

    static final String CANCEL_CHANNEL = "spindle_cancel";

    private static final Logger log = LoggerFactory.getLogger(PostgresNotifications.class);

    private static final int WAIT_MILLIS = 500;

    private static final Duration RECONNECT_DELAY = Duration.ofSeconds(1);

    private static final Duration STOP_WAIT = Duration.ofSeconds(1);

    private final DataSource dataSource;

    private final StoreListener listener;

    private final Thread thread;

    private volatile boolean running = true;

    PostgresNotifications(@Nullable DataSource dataSource, StoreListener listener) {
        if (dataSource == null) {
            throw new IllegalStateException("No data source to listen on");
        }
        this.dataSource = dataSource;
        this.listener = listener;
        this.thread = Thread.ofPlatform().name("spindle-pg-listener").daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Stops listening; a thread stuck connecting to a database that went away is not waited for long. */
    void stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(STOP_WAIT);
    }

    private void run() {
        boolean warned = false;
        while (running) {
            try (Connection connection = dataSource.getConnection()) {
                PGConnection pg = connection.unwrap(PGConnection.class);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + JOBS_CHANNEL);
                    statement.execute("LISTEN " + CANCEL_CHANNEL);
                }
                if (warned) {
                    log.info("Listening for job notifications again");
                    warned = false;
                }
                listener.jobsAvailable();
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
                    if (notifications != null) {
                        deliver(notifications);
                    }
                }
            }
            catch (SQLException | RuntimeException ex) {
                if (!warned) {
                    log.warn("Lost the job notification connection ({}); polling until it is back", ex.toString());
                    warned = true;
                }
                pause();
            }
        }
    }

    private void deliver(PGNotification[] notifications) {
        boolean jobs = false;
        for (PGNotification notification : notifications) {
            if (CANCEL_CHANNEL.equals(notification.getName())) {
                listener.cancelRequested(notification.getParameter());
            }
            else {
                jobs = true;
            }
        }
        if (jobs) {
            listener.jobsAvailable();
        }
    }

    private void pause() {
        try {
            Thread.sleep(RECONNECT_DELAY);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
