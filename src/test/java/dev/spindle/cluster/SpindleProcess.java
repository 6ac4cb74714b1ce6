package dev.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.Api;

/** The packaged jar running as its own JVM, as an operator would start it. */
final class SpindleProcess implements AutoCloseable {

    final String node;

    final int port;

    final int managementPort;

    final Path log;

    private final Process process;

    private SpindleProcess(String node, int port, int managementPort, Path log, Process process) {
        this.node = node;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.process = process;
    }

    static SpindleProcess start(String node, Path workDir, List<String> properties) {
        String jar = System.getProperty("spindle.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("No packaged jar at " + jar + "; run through './mvnw verify'");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        int port = freePort();
        int managementPort = freePort();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar,
                "--server.port=" + port, "--management.server.port=" + managementPort, "--spindle.tcp.port=0",
                "--spindle.node-id=" + node));
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

    Api api() {
        return new Api(port);
    }

    boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException(node + " exited; its log:\n" + tail());
        }
        try {
            return new Api(managementPort).get("/actuator/health/readiness").status() == 200;
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    /** SIGKILL: no shutdown hook, no graceful stop. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    String tail() {
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
