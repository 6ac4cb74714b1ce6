package dev.spindle.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, made with the machine's {@code initdb} in a temporary
 * directory on a free port, that a test may stop and restart: the twin, for machines without
 * Docker, of a Testcontainers container.
 */
final class PrivatePostgres implements AutoCloseable {

    private final Path bin;

    private final Path data;

    final int port;

    private PrivatePostgres(Path bin, Path data, int port) {
        this.bin = bin;
        this.data = data;
        this.port = port;
    }

    /** The directory of {@code initdb} and {@code pg_ctl}, if this machine has PostgreSQL's server binaries. */
    static Optional<Path> binaries() {
        String configured = System.getenv("SPINDLE_TEST_PG_BIN");
        if (configured != null) {
            return Optional.of(Path.of(configured));
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(version -> version.resolve("bin"))
                .filter(dir -> Files.isExecutable(dir.resolve("initdb")))
                .max(Comparator.naturalOrder());
        }
        catch (IOException ex) {
            return Optional.empty();
        }
    }

    static PrivatePostgres start(Path bin, Path parent) throws Exception {
        Path data = parent.resolve("pgdata");
        Files.createDirectories(data);
        if (root()) {
            // initdb refuses to run as root: the server runs as the postgres user
            UserPrincipalLookupService users = data.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(parent, users.lookupPrincipalByName("postgres"));
            Files.setOwner(data, users.lookupPrincipalByName("postgres"));
        }
        PrivatePostgres postgres = new PrivatePostgres(bin, data, dev.spindle.SpindleProcess.freePort());
        postgres.run("initdb", "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync");
        postgres.start();
        return postgres;
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    void start() throws Exception {
        run("pg_ctl", "-D", data.toString(), "-w", "-l", data.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    /** A fast stop (open connections are cut) and a start, as an operator's restart. */
    void restart() throws Exception {
        run("pg_ctl", "-D", data.toString(), "-w", "-m", "fast", "stop");
        start();
    }

    @Override
    public void close() throws Exception {
        run("pg_ctl", "-D", data.toString(), "-w", "-m", "immediate", "stop");
    }

    private void run(String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if (root()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(tool).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(tool + " failed: " + output);
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }
}
