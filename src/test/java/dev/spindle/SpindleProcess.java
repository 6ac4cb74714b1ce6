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
        int tcpPort = freePort();
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1"));
        command.addAll(launch);
        command.addAll(List.of("--server.port=" + port, "--management.server.port=" + managementPort,
                "--spindle.tcp.port=" + tcpPort, "--spindle.node-id=" + node));
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

    /** Ports handed out by this JVM, never twice. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port free now, below the kernel's ephemeral range: a port the kernel picks for a listener on
     * port 0 or an outgoing connection (another process's, between this check and the child's bind)
     * never takes it. (Port 0's own pick, closed and handed on, was taken so once: a node's RESP
     * listener on port 0 got the port chosen for another node's HTTP server.)
     */
    public static int freePort() {
        int below = ephemeralStart();
        java.util.Random random = new java.util.Random();
        for (int tries = 0; tries < 1000; tries++) {
            int candidate = 10_000 + random.nextInt(Math.max(1, below - 10_000));
            if (!HANDED_OUT.add(candidate)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new java.net.InetSocketAddress(candidate));
                return candidate;
            }
            catch (IOException ex) {
                // in use: another
            }
        }
        throw new IllegalStateException("no free port below " + below + " after 1000 tries");
    }

    /** Where the kernel's ephemeral ports begin (32768 when it does not say). */
    private static int ephemeralStart() {
        try {
            String range = java.nio.file.Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > 11_000 ? start : 32_768;
        }
        catch (IOException | RuntimeException ex) {
            return 32_768;
        }
    }
}
