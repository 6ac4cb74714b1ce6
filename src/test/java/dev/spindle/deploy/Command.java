package dev.spindle.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs an external tool (helm, docker-compose, a deploy script) from the repository root. */
record Command(List<String> args, Map<String, String> environment, Duration timeout) {

    /** The repository root: the working directory Maven runs the tests in. */
    static final Path ROOT = Path.of("").toAbsolutePath();

    static Command of(String... args) {
        return new Command(List.of(args), Map.of(), Duration.ofMinutes(2));
    }

    Command withEnvironment(Map<String, String> environment) {
        return new Command(args, environment, timeout);
    }

    Command withTimeout(Duration timeout) {
        return new Command(args, environment, timeout);
    }

    Command plus(String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return new Command(all, environment, timeout);
    }

    Result run() {
        try {
            // files, not pipes: a tool that writes a lot cannot block on a full pipe
            Path stdout = Files.createTempFile("spindle-command", ".out");
            Path stderr = Files.createTempFile("spindle-command", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(args).directory(ROOT.toFile())
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
                builder.environment().putAll(environment);
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new IllegalStateException(String.join(" ", args) + " did not end within " + timeout
                            + "; its output:\n" + Files.readString(stdout) + Files.readString(stderr));
                }
                return new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
            }
            finally {
                Files.deleteIfExists(stdout);
                Files.deleteIfExists(stderr);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The executable for a tool: the system property {@code spindle.<name>} or the environment
     * variable {@code SPINDLE_<NAME>} (set by .ci/run), else the first {@code name} on PATH.
     */
    static Optional<Path> tool(String name) {
        String configured = Optional.ofNullable(System.getProperty("spindle." + name))
            .orElse(System.getenv("SPINDLE_" + name.toUpperCase().replace('-', '_')));
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String directory : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(directory, name);
            if (!directory.isBlank() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** What a tool wrote, and how it ended. */
    record Result(int exitCode, String stdout, String stderr) {

        boolean succeeded() {
            return exitCode == 0;
        }

        String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }
}
