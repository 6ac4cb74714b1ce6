package dev.spindle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Spindle running as its own JVM, as an operator would start it: the packaged jar, or (for a test
 * that needs its own job types in the process) the test classpath with a main class of the tests.
 */
public final class SpindleProcess implements AutoCloseable {

    public final String node;

    public final int port;

    public final int managementPort;

    public final Path log;

    private final Process process;

    private SpindleProcess(String node, int port, int managementPort, Path log, Process process) {
        this.node = node;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.process = process;
    }

    /** The packaged jar ({@code ./mvnw verify} builds it before the *IT tests), with a 256 MB heap. */
    public static SpindleProcess start(String node, Path workDir, List<String> properties) {
        String jar = System.getProperty("spindle.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("No packaged jar at " + jar + "; run through './mvnw verify'");
        }
        return start(node, workDir, List.of("-Xmx256m", "-jar", jar), properties);
    }

    /** The packaged jar with the JVM options given (a heap size, say) instead of the 256 MB heap. */
    public static SpindleProcess startJar(String node, Path workDir, List<String> jvmOptions, List<String> properties) {
        String jar = System.getProperty("spindle.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("No packaged jar at " + jar + "; run through './mvnw verify'");
        }
        List<String> launch = new ArrayList<>(jvmOptions);
        launch.addAll(List.of("-jar", jar));
        return start(node, workDir, launch, properties);
    }

    /** {@code main} from this test run's classpath, with the JVM options given (a heap size, say). */
    public static SpindleProcess startMain(Class<?> main, String node, Path workDir, List<String> jvmOptions,
            List<String> properties) {
        List<String> launch = new ArrayList<>(jvmOptions);
        launch.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        return start(node, workDir, launch, properties);
    }

    private static SpindleProcess start(String node, Path workDir, List<String> launch, List<String> properties) {
        String java = ProcessHandle.current().info().command().orElse("java");
        int port = freePort();
        int managementPort = freePort();
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
        command.addAll(launch);
        command.addAll(List.of("--server.port=" + port, "--management.server.port=" + managementPort,
                "--spindle.tcp.port=0", "--spindle.node-id=" + node));
        properties.forEach(property -> command.add("--" + property));
        try {
            Path log = workDir.resolve(node + ".log");
            Process process = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
            return new SpindleProcess(node, port, managementPort, log, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public Api api() {
        return new Api(port);
    }

    /** The RESP listener's port (bound to any free one), as the {@code tcp} health component shows it. */
    public int tcpPort() {
        return management().get("/actuator/health").body().at("/components/tcp/details/port").asInt();
    }

    /** This process start's instance id, as the pool's health component shows it. */
    public String instance() {
        String instance = management().get("/actuator/health/pool").body().path("details").path("instance").asString();
        if (instance == null || instance.isBlank()) {
            throw new AssertionError(node + " shows no instance id in /actuator/health/pool");
        }
        return instance;
    }

    public Api management() {
        return new Api(managementPort);
    }

    public boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException(node + " exited; its log:\n" + tail());
        }
        try {
            return management().get("/actuator/health/readiness").status() == 200;
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    /** SIGKILL: no shutdown hook, no graceful stop. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as a platform stops it; does not wait (see {@link #awaitExit}). */
    public void stop() {
        process.destroy();
    }

    /** Whether the JVM still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** Waits up to {@code timeout} for the JVM to exit; its exit code, or empty if it still runs. */
    public java.util.OptionalInt awaitExit(java.time.Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    /** Everything the process has written so far (its log). */
    public String output() {
        try {
            return Files.readString(log);
        }
        catch (IOException ex) {
            return "(no log: " + ex + ")";
        }
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
        catch (IOException ex) {
            return "(no log: " + ex + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
