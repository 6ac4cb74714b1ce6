package dev.spindle.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Properties;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Readies the store's data source before its connection pool opens.
 *
 * <p>SQLite: creates the file's directory, sets the pragmas the store relies on (WAL journal,
 * {@code spindle.store.sqlite.synchronous}, a busy timeout), and takes an exclusive lock on a file
 * beside it for as long as the application runs. The store assumes one process owns the file (at
 * start it ends the attempts that earlier processes left RUNNING), so a second process on the
 * same file refuses to start, saying why.
 *
 * <p>PostgreSQL: connect and socket timeouts and TCP keep-alive unless the URL or the data source
 * properties set them, so that no call waits forever on a database that went away.
 */
final class StoreDataSource implements BeanPostProcessor, EnvironmentAware, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(StoreDataSource.class);

    private static final String PREFIX = "jdbc:sqlite:";

    private static final String POSTGRES_PREFIX = "jdbc:postgresql:";

    private @Nullable Environment environment;

    private @Nullable FileChannel channel;

    private @Nullable FileLock lock;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null) {
            String url = hikari.getJdbcUrl().toLowerCase(Locale.ROOT);
            if (url.startsWith(PREFIX)) {
                prepare(hikari);
            }
            else if (url.startsWith(POSTGRES_PREFIX)) {
                bound(hikari, url);
            }
        }
        return bean;
    }

    /** Seconds, as the PostgreSQL driver takes them; what the URL names wins. */
    private static void bound(HikariDataSource hikari, String url) {
        Properties properties = hikari.getDataSourceProperties();
        for (String[] setting : new String[][] { { "connectTimeout", "5" }, { "socketTimeout", "60" },
                { "tcpKeepAlive", "true" } }) {
            if (!url.contains(setting[0].toLowerCase(Locale.ROOT) + "=")) {
                properties.putIfAbsent(setting[0], setting[1]);
            }
        }
    }

    private void prepare(HikariDataSource hikari) {
        String synchronous = environment == null ? "FULL"
                : environment.getProperty("spindle.store.sqlite.synchronous", "FULL").toUpperCase(Locale.ROOT);
        if (!synchronous.equals("FULL") && !synchronous.equals("NORMAL")) {
            throw new IllegalStateException(
                    "spindle.store.sqlite.synchronous must be FULL or NORMAL, not '" + synchronous + "'");
        }
        Properties pragmas = hikari.getDataSourceProperties();
        pragmas.putIfAbsent("journal_mode", "WAL");
        pragmas.putIfAbsent("synchronous", synchronous);
        pragmas.putIfAbsent("busy_timeout", "10000");
        // the WAL file is cut back to this after a checkpoint instead of keeping its largest size
        pragmas.putIfAbsent("journal_size_limit", String.valueOf(16L << 20));
        Path file = file(hikari.getJdbcUrl());
        if (file == null) {
            return;
        }
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            lock(file.resolveSibling(file.getFileName() + ".lock"), file);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot prepare the embedded store at " + file.toAbsolutePath(), ex);
        }
        log.info("Embedded store: {} (SQLite, WAL, synchronous={})", file.toAbsolutePath().normalize(), synchronous);
    }

    private void lock(Path lockFile, Path file) throws IOException {
        FileChannel opened = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock taken;
        try {
            taken = opened.tryLock();
        }
        catch (OverlappingFileLockException ex) {
            taken = null;
        }
        if (taken == null) {
            opened.close();
            throw new IllegalStateException(("The embedded store %s is in use by another Spindle process. It takes "
                    + "one process at a time: stop the other one, give this one a file of its own "
                    + "(spring.datasource.url=jdbc:sqlite:<path>), or share PostgreSQL between several instances.")
                .formatted(file.toAbsolutePath().normalize()));
        }
        channel = opened;
        lock = taken;
    }

    /** The database file a {@code jdbc:sqlite:} URL names; null for an in-memory database. */
    static @Nullable Path file(String url) {
        String rest = url.substring(PREFIX.length());
        int query = rest.indexOf('?');
        String path = query < 0 ? rest : rest.substring(0, query);
        if (path.startsWith("file:")) {
            path = path.substring("file:".length());
        }
        if (path.isEmpty() || path.equals(":memory:") || (query >= 0 && rest.substring(query).contains("mode=memory"))) {
            return null;
        }
        return Path.of(path);
    }

    @Override
    public void destroy() throws IOException {
        if (lock != null) {
            lock.release();
        }
        if (channel != null) {
            channel.close();
        }
    }
}
