package dev.spindle.memory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM started without {@code -XX:+ExitOnOutOfMemoryError} (as a bare {@code java -jar} is) ends
 * with the flag's exit code when an OutOfMemoryError kills a thread, instead of living on without it.
 */
class OutOfMemoryExitTests {

    @TempDir
    Path dir;

    @Test
    void aThreadKilledByOutOfMemoryErrorEndsTheProcess() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = dir.resolve("oom.log");
        Process process = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
                Exhausting.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        try {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the process ended; its output:\n%s", log).isTrue();
            assertThat(process.exitValue()).as(Files.readString(log)).isEqualTo(OutOfMemoryExit.EXIT_CODE);
            assertThat(Files.readString(log)).contains("without -XX:+ExitOnOutOfMemoryError")
                .contains("Terminating due to java.lang.OutOfMemoryError");
        }
        finally {
            process.destroyForcibly();
        }
    }

    /** Installs the handler, fills the heap on a thread of its own, and would wait for ever after. */
    static final class Exhausting {

        public static void main(String[] args) throws InterruptedException {
            OutOfMemoryExit.install();
            Thread.ofPlatform().name("exhausting").start(() -> {
                List<long[]> held = new ArrayList<>();
                while (true) {
                    held.add(new long[1 << 20]);
                }
            });
            new CountDownLatch(1).await();
        }
    }
}
