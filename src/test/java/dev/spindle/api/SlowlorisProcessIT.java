package dev.spindle.api;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.spindle.Api;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 13 at full size: 10,000 slow-header (slowloris) connections on the API port of the packaged
 * jar, a JVM of its own so that the server's and the test's descriptors do not share one open-file
 * limit. While all 10,000 trickle header bytes, fresh clients are answered within a second (a read,
 * a submit, the liveness probe on the management port), and the server closes every trickler at the
 * header deadline ({@code spindle.api.header-timeout}) after its first byte.
 *
 * <p>{@code server.tomcat.max-connections} is 12,000 so that the 10,000 fit below the crowded mark
 * (90 %, 10,800): the normal deadline applies, not the crowded one. That deadline is 30 s here, not
 * the default 10 s: opening 10,000 connections and measuring beside them took 11 to 21 s on a busy
 * two-core machine, so with 10 s the first tricklers would be closed before the measuring ends (or
 * before the last are open) and there is no stretch with all 10,000 open to measure in. {@code accept-count} is 1,000 (not 100) so that connections the
 * acceptor has not taken yet wait in the queue instead of having their SYN dropped and retried a
 * second later. The heap is the one the
 * Kubernetes manifest gives (768 MiB): each connection in the middle of its headers holds Tomcat's
 * socket and header buffers (some 40 KB; about 600 MiB of heap was in use with the 10,000 open), far
 * more than the 256 MB the other process tests use.
 */
class SlowlorisProcessIT {

    private static final int SLOW = 10_000;

    /** spindle.api.header-timeout for this test (default 10 s: see the class comment). */
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(30);

    private static final int CONNECTORS = 8;

    private static final int TRICKLERS = 4;

    private static final Duration TRICKLE_EVERY = Duration.ofSeconds(1);

    private static final int ROUNDS = 10;

    private static final byte[] PARTIAL = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Slow: "
        .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path workDir;

    private final AtomicReferenceArray<Socket> sockets = new AtomicReferenceArray<>(SLOW);

    /** When each connection sent its first byte, and when the server closed it (nanoTime; 0: not yet). */
    private final AtomicLongArray firstByteAt = new AtomicLongArray(SLOW);

    private final AtomicLongArray closedAt = new AtomicLongArray(SLOW);

    private final AtomicInteger connected = new AtomicInteger();

    private final AtomicInteger connectFailures = new AtomicInteger();

    private final AtomicInteger closedByEof = new AtomicInteger();

    private final AtomicInteger closedByReset = new AtomicInteger();

    private final AtomicInteger stillOpenAfterReadTimeout = new AtomicInteger();

    private final AtomicInteger answeredBeforeClose = new AtomicInteger();

    private volatile boolean stopping;

    private record Call(String what, int status, long millis) {
    }

    @Test
    @Timeout(value = 140, unit = TimeUnit.SECONDS)
    void tenThousandSlowHeaderConnectionsAreClosedAtTheDeadlineWhileOthersAreServedWithinASecond() throws Exception {
        long openFiles = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        assumeTrue(openFiles >= 11_000, "needs an open-file limit of 11,000 or more (ulimit -n), this JVM has " + openFiles);

        SpindleProcess spindle = SpindleProcess.startJar("slowloris", workDir,
                List.of("-Xmx768m", "-XX:+ExitOnOutOfMemoryError"),
                List.of("spring.datasource.url=jdbc:sqlite:" + workDir.resolve("spindle.db").toAbsolutePath(),
                        "server.tomcat.max-connections=12000", "server.tomcat.accept-count=1000",
                        "spindle.api.header-timeout=" + HEADER_TIMEOUT.toSeconds() + "s"));
        List<Thread> threads = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(90)).until(spindle::ready);
            // the first request to each server starts its dispatcher servlet: not what is measured
            round(spindle, "warm-up");

            long started = System.nanoTime();
            for (int k = 0; k < CONNECTORS; k++) {
                int stripe = k;
                threads.add(Thread.ofVirtual().name("connect-" + k).start(() -> connect(spindle.port, stripe)));
            }
            for (int k = 0; k < TRICKLERS; k++) {
                int stripe = k;
                threads.add(Thread.ofVirtual().name("trickle-" + k).start(() -> trickle(stripe)));
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> connected.get() + connectFailures.get() == SLOW);
            long allConnected = System.nanoTime();
            assertThat(connectFailures.get()).as("connections that could not be opened").isZero();
            System.out.printf("%,d slow-header connections open in %d ms%n", SLOW, millis(allConnected - started));

            List<List<Call>> rounds = new ArrayList<>();
            int[] openAtEnd = new int[ROUNDS];
            String heap = "";
            for (int i = 0; i < ROUNDS; i++) {
                rounds.add(round(spindle, "round " + (i + 1)));
                openAtEnd[i] = SLOW - closed();
                if (i == 0) {
                    heap = heapUsed(spindle);
                }
                LockSupport.parkNanos(Duration.ofMillis(250).toNanos()); // pacing, spread over the trickle
            }
            long roundsEnded = System.nanoTime();
            System.out.printf("%d rounds from %d to %d ms after the first connection; tricklers open at the end of each: %s%n",
                    ROUNDS, millis(allConnected - started), millis(roundsEnded - started), Arrays.toString(openAtEnd));
            System.out.println("server heap while all were open: " + heap);
            for (String what : List.of("GET /api/v1/job-types", "POST /api/v1/jobs", "GET /actuator/health/liveness")) {
                long[] took = rounds.stream().flatMap(List::stream).filter(call -> call.what().equals(what))
                    .mapToLong(Call::millis).toArray();
                System.out.printf("%-31s ms: %s (max %d)%n", what, Arrays.toString(took), Arrays.stream(took).max().orElse(-1));
            }

            for (List<Call> round : rounds) {
                for (Call call : round) {
                    assertThat(call.millis()).as(call.what()).isLessThan(1000);
                }
            }
            assertThat(openAtEnd).as("tricklers still open at the end of each round").containsOnly(SLOW);

            // every trickler is closed by the server, at the header deadline after its first byte
            await().atMost(HEADER_TIMEOUT.plusSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> closed() + stillOpenAfterReadTimeout.get() >= SLOW);
            long[] open = new long[SLOW];
            for (int i = 0; i < SLOW; i++) {
                open[i] = closedAt.get(i) == 0 ? Long.MAX_VALUE : millis(closedAt.get(i) - firstByteAt.get(i));
            }
            Arrays.sort(open);
            System.out.printf("closed by the server: %,d (%,d end of stream, %,d reset, %,d with an answer first), "
                    + "still open after 60 s: %,d; open for min %d, median %d, p99 %d, max %d ms%n", closed(),
                    closedByEof.get(), closedByReset.get(), answeredBeforeClose.get(), stillOpenAfterReadTimeout.get(),
                    open[0], open[SLOW / 2], open[SLOW * 99 / 100], open[SLOW - 1]);
            assertThat(stillOpenAfterReadTimeout.get()).isZero();
            assertThat(closed()).isEqualTo(SLOW);
            assertThat(open[0]).as("shortest trickler life, ms").isGreaterThanOrEqualTo(HEADER_TIMEOUT.toMillis() - 100);
            assertThat(open[SLOW - 1]).as("longest trickler life, ms").isLessThan(HEADER_TIMEOUT.toMillis() + 5_000);

            List<Call> after = round(spindle, "after");
            System.out.println("after the tricklers: " + after);
            after.forEach(call -> assertThat(call.millis()).as(call.what()).isLessThan(1000));
            assertThat(spindle.alive()).isTrue();
        }
        catch (AssertionError | RuntimeException ex) {
            System.out.println("--- " + spindle.log + "\n" + spindle.tail());
            throw ex;
        }
        finally {
            stopping = true;
            for (int i = 0; i < SLOW; i++) {
                Socket socket = sockets.get(i);
                if (socket != null) {
                    try {
                        socket.close();
                    }
                    catch (IOException ex) {
                        // closing anyway
                    }
                }
            }
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(5));
            }
            spindle.close();
        }
    }

    /** Opens this stripe's connections, each with a request line and the start of a header, and a reader for each. */
    private void connect(int port, int stripe) {
        for (int i = stripe; i < SLOW && !stopping; i += CONNECTORS) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 20_000);
                socket.setSoTimeout(60_000);
                sockets.set(i, socket);
                firstByteAt.set(i, System.nanoTime());
                socket.getOutputStream().write(PARTIAL);
                int index = i;
                Thread.ofVirtual().start(() -> awaitClose(index, socket));
                connected.incrementAndGet();
            }
            catch (IOException ex) {
                connectFailures.incrementAndGet();
                try {
                    socket.close();
                }
                catch (IOException ignored) {
                    // failed anyway
                }
            }
        }
    }

    /** One header byte per open connection of this stripe every {@link #TRICKLE_EVERY}, well within Tomcat's read timeout. */
    private void trickle(int stripe) {
        long next = System.nanoTime();
        while (!stopping) {
            for (int i = stripe; i < SLOW && !stopping; i += TRICKLERS) {
                Socket socket = sockets.get(i);
                if (socket != null && closedAt.get(i) == 0) {
                    try {
                        socket.getOutputStream().write('a');
                    }
                    catch (IOException ex) {
                        // closed by the server: its reader records when
                    }
                }
            }
            next += TRICKLE_EVERY.toNanos();
            LockSupport.parkNanos(next - System.nanoTime()); // pacing
        }
    }

    /** Reads until the server closes the connection (end of stream or a reset) and records when. */
    private void awaitClose(int index, Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            boolean answered = false;
            while (in.read() != -1) {
                answered = true;
            }
            closedAt.set(index, System.nanoTime());
            if (answered) {
                answeredBeforeClose.incrementAndGet();
            }
            closedByEof.incrementAndGet();
        }
        catch (SocketTimeoutException ex) {
            stillOpenAfterReadTimeout.incrementAndGet();
        }
        catch (IOException ex) {
            if (!stopping) {
                closedAt.set(index, System.nanoTime());
                closedByReset.incrementAndGet();
            }
        }
    }

    private int closed() {
        return closedByEof.get() + closedByReset.get();
    }

    /** A read, a submit and the liveness probe, each on a client of its own (a fresh connection). */
    private static List<Call> round(SpindleProcess spindle, String name) {
        String api = "http://127.0.0.1:" + spindle.port;
        return List.of(
                call("GET /api/v1/job-types", HttpRequest.newBuilder(URI.create(api + "/api/v1/job-types")).GET(), 200),
                call("POST /api/v1/jobs", HttpRequest.newBuilder(URI.create(api + "/api/v1/jobs"))
                    .header("Content-Type", "application/json")
                    .POST(BodyPublishers.ofString("{\"type\": \"noop\"}")), 202),
                call("GET /actuator/health/liveness", HttpRequest
                    .newBuilder(URI.create("http://127.0.0.1:" + spindle.managementPort + "/actuator/health/liveness")).GET(), 200));
    }

    private static Call call(String what, HttpRequest.Builder request, int expected) {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build()) {
            long started = System.nanoTime();
            HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(5)).build(), BodyHandlers.ofString());
            long took = millis(System.nanoTime() - started);
            assertThat(response.statusCode()).as(what + ": " + response.body()).isEqualTo(expected);
            return new Call(what, response.statusCode(), took);
        }
        catch (IOException ex) {
            throw new AssertionError(what + " failed", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static String heapUsed(SpindleProcess spindle) {
        try {
            JsonNode heap = new Api(spindle.managementPort).get("/actuator/memory").body().path("heap");
            return "%d MiB used of %d MiB".formatted(heap.path("used").asLong() >> 20, heap.path("max").asLong() >> 20);
        }
        catch (RuntimeException ex) {
            return "(not read: " + ex + ")";
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
