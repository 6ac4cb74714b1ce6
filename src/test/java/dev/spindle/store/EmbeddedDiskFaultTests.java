package dev.spindle.store;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RespCommand;
import dev.spindle.SpindleProcess;
import dev.spindle.TestApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded store on a small filesystem of its own (an ext4 loop file the test mounts; skipped
 * where it cannot mount, e.g. not root): a full disk makes submissions 503 with Retry-After (RESP:
 * -BUSY) and readiness DOWN while liveness stays UP, and the service resumes by itself once space
 * is freed, every acknowledged job still there; a filesystem turned read-only loses no
 * acknowledged job; a stop ends within its bound.
 */
class EmbeddedDiskFaultTests {

    /** shutdown-grace 1s + the pool's stop margin (6s) + the web server's and the JVM's own stop. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(20);

    @TempDir
    Path workDir;

    Path disk;

    boolean mounted;

    final List<SpindleProcess> processes = new ArrayList<>();

    @BeforeEach
    void mount() throws Exception {
        assumeThat(System.getProperty("user.name")).as("mounting a filesystem needs root").isEqualTo("root");
        Path image = workDir.resolve("disk.img");
        disk = Files.createDirectory(workDir.resolve("disk"));
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(32L << 20);
        }
        assumeThat(run("mkfs.ext4", "-q", "-F", "-m", "0", image.toString())).as("mkfs.ext4").isZero();
        // errors=remount-ro: an ext4 error turns the filesystem read-only under the open database,
        // as a failing disk does (a plain remount,ro is refused while files are open for writing)
        assumeThat(run("mount", "-o", "loop,errors=remount-ro", image.toString(), disk.toString()))
            .as("mount a loop file").isZero();
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            for (SpindleProcess process : processes) {
                process.close();
            }
        }
        finally {
            if (mounted) {
                run("umount", disk.toString());
            }
        }
    }

    /** Runs the test, printing each process's log when it fails. */
    private void withLogs(Check check) throws Exception {
        try {
            check.run();
        }
        catch (AssertionError | RuntimeException ex) {
            for (SpindleProcess process : processes) {
                Path kept = Path.of("target", "disk-fault-" + process.node + ".log");
                Files.copy(process.log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                System.out.println("--- " + process.node + " (whole log: " + kept + ")\n" + process.tail());
            }
            throw ex;
        }
    }

    private interface Check {

        void run() throws Exception;
    }

    /**
     * One process through a full disk and back, then a filesystem error that turns the disk
     * read-only under it, then a repair and the next process: two JVM starts for all of it.
     */
    @Test
    void fullThenReadOnlyDiskRefusesCleanlyRecoversAndLosesNoAcknowledgedJob() throws Exception {
        withLogs(this::fullThenReadOnly);
    }

    private void fullThenReadOnly() throws Exception {
        SpindleProcess spindle = start("disk");
        Api api = spindle.api();
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acknowledged.add(api.submit("{\"type\": \"noop\"}"));
        }
        Path filler = disk.resolve("filler");
        fill(filler);

        // the store may still find room in pages it has; it runs out within a few thousand jobs
        Response refused = null;
        for (int i = 0; i < 20_000 && refused == null; i++) {
            Response response = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"payload\": {\"pad\": \"" + "x".repeat(500) + "\"}}");
            if (response.status() == 202) {
                acknowledged.add(response.id());
            }
            else {
                refused = response;
            }
        }
        assertThat(refused).as("a submission refused on the full disk").isNotNull();
        assertThat(refused.status()).as(refused.raw().body()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isNotNull();
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        try (Jedis jedis = new Jedis("127.0.0.1", spindle.tcpPort())) {
            // a smaller job may still fit in a page the refused one did not: those are acknowledged
            JedisDataException busy = null;
            for (int i = 0; i < 1_000 && busy == null; i++) {
                try {
                    acknowledged.add(new String((byte[]) jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\"}"),
                            java.nio.charset.StandardCharsets.UTF_8));
                }
                catch (JedisDataException ex) {
                    busy = ex;
                }
            }
            assertThat(busy).as("a RESP submission refused on the full disk").isNotNull();
            assertThat(busy.getMessage()).startsWith("BUSY");
        }
        await().atMost(Duration.ofSeconds(15))
            .until(() -> spindle.management().get("/actuator/health/readiness").status() == 503);
        assertThat(spindle.management().get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(spindle.management().get("/actuator/health").body().at("/components/store/status").asString())
            .isEqualTo("DOWN");

        Files.delete(filler);

        await().atMost(Duration.ofSeconds(30)).until(() -> api.post("/api/v1/jobs", "{\"type\": \"noop\"}").status() == 202);
        await().atMost(Duration.ofSeconds(15)).until(spindle::ready);
        String after = api.submit("{\"type\": \"noop\"}");
        assertThat(api.awaitTerminal(after).path("state").asString()).isEqualTo("SUCCEEDED");
        for (String id : acknowledged) {
            assertThat(api.get("/api/v1/jobs/" + id).status()).as("acknowledged job %s", id).isEqualTo(200);
        }

        // an ext4 error: the filesystem turns read-only under the open database, jobs in flight
        for (int i = 0; i < 100; i++) {
            acknowledged.add(api.submit("{\"type\": \"noop\", \"delay\": \"PT1H\"}"));
        }
        Files.writeString(Path.of("/sys/fs/ext4", device(), "trigger_fs_error"), "1");
        for (int i = 0; i < 20; i++) {
            Response response = api.post("/api/v1/jobs", "{\"type\": \"noop\"}");
            if (response.status() == 202) {
                acknowledged.add(response.id());
            }
            else {
                assertThat(response.status()).as(response.raw().body()).isEqualTo(503);
            }
        }
        await().atMost(Duration.ofSeconds(15))
            .until(() -> spindle.management().get("/actuator/health/readiness").status() == 503);
        assertStopsWithinBound(spindle);

        // the operator's repair: unmount, check, mount again, start again
        Path image = workDir.resolve("disk.img");
        assertThat(run("umount", disk.toString())).isZero();
        run("e2fsck", "-f", "-y", image.toString());
        assertThat(run("mount", "-o", "loop,errors=remount-ro", image.toString(), disk.toString())).isZero();
        SpindleProcess next = start("disk-next");
        for (String id : acknowledged) {
            assertThat(next.api().get("/api/v1/jobs/" + id).status()).as("acknowledged job %s", id).isEqualTo(200);
        }
    }

    private SpindleProcess start(String node) {
        SpindleProcess process = SpindleProcess.startMain(TestApplication.class, node, workDir, List.of("-Xmx256m"),
                List.of("spring.datasource.url=jdbc:sqlite:" + disk.resolve("spindle.db"),
                        "spindle.pool.shutdown-grace=1s", "spindle.cluster.heartbeat-interval=500ms"));
        processes.add(process);
        try {
            await().atMost(Duration.ofMinutes(2)).until(process::ready);
        }
        catch (RuntimeException ex) {
            System.out.println(process.tail());
            throw ex;
        }
        return process;
    }

    private void assertStopsWithinBound(SpindleProcess spindle) throws Exception {
        long began = System.nanoTime();
        spindle.stop();
        OptionalInt exit = spindle.awaitExit(STOP_BOUND);
        assertThat(exit).as("stopped within %s; log:%n%s", STOP_BOUND, spindle.tail()).isPresent();
        System.out.printf("stop took %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    /** The loop device the test's filesystem is on, as /sys/fs/ext4 names it. */
    private String device() throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream()
            .map(line -> line.split(" "))
            .filter(fields -> fields[1].equals(disk.toString()))
            .map(fields -> Path.of(fields[0]).getFileName().toString())
            .findFirst()
            .orElseThrow();
    }

    /** Writes until the filesystem has no room left. */
    private static void fill(Path file) {
        byte[] chunk = new byte[64 * 1024];
        try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
            while (true) {
                out.write(chunk);
            }
        }
        catch (IOException full) {
            // no space left on device
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        int exit = process.waitFor();
        if (exit != 0) {
            System.out.println(String.join(" ", command) + ": " + output);
        }
        return exit;
    }
}
