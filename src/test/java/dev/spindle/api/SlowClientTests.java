package dev.spindle.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RespCommand;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import dev.spindle.job.JobWatchers;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Clients that hold the API port without finishing a request: slowloris header tricklers are closed
 * at the header deadline while everyone else, and the probes, are served; long-polls beyond their
 * own bound are refused so they cannot crowd out submits.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.api.header-timeout=2s", "spindle.api.crowded-header-timeout=300ms",
        "server.tomcat.max-connections=600", "spindle.api.body-timeout=1s", "spindle.api.max-waiting=20" })
class SlowClientTests {

    private static final int SLOW_CONNECTIONS = 500;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    JobWatchers watchers;

    @Autowired
    RespServer resp;

    @Autowired
    JdbcClient jdbc;

    Api api;

    final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    @Test
    void slowHeaderConnectionsAreClosedAtTheHeaderDeadlineWhileOthersAreServedWithinASecond() throws Exception {
        Api management = new Api(managementPort);
        // the first request to each server starts its dispatcher servlet: not what is measured here
        assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(api.get("/api/v1/jobs?limit=1").status()).isEqualTo(200);
        long started = System.nanoTime();
        for (int i = 0; i < SLOW_CONNECTIONS; i++) {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            sockets.add(socket);
        }
        try (ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor()) {
            // a header byte per connection every 100 ms: each read comes well within Tomcat's connection-timeout
            trickle.scheduleAtFixedRate(() -> sockets.forEach(socket -> {
                try {
                    socket.getOutputStream().write('a');
                }
                catch (IOException ex) {
                    // closed by the server: what the test waits for
                }
            }), 0, 100, TimeUnit.MILLISECONDS);

            assertServedWithinASecond(() -> api.get("/api/v1/jobs?limit=1"), 200);
            assertServedWithinASecond(() -> management.get("/actuator/health/liveness"), 200);

            try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Duration>> closed = sockets.stream().map(socket -> readers.submit(() -> untilClosed(socket, started)))
                    .toList();
                for (Future<Duration> open : closed) {
                    // opened at most a second or so after `started`, closed one header deadline (2 s) later
                    assertThat(open.get()).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(7));
                }
            }
        }
        assertServedWithinASecond(() -> api.get("/api/v1/jobs?limit=1"), 200);
    }

    @Test
    void beyondMaxConnectionsTricklersGiveWayAndANewClientIsServedWithinASecond() throws Exception {
        // 650 stalled requests on a connector of 600: it is full, 50 wait in the accept queue
        long started = System.nanoTime();
        for (int i = 0; i < 650; i++) {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            sockets.add(socket);
        }

        // a new connection (a fresh client: no pooled one) behind them in the queue; the 2 s header
        // deadline would keep it waiting, the crowded one (300 ms) lets it in
        assertServedWithinASecond(() -> new Api(port).get("/api/v1/jobs?limit=1"), 200);

        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Duration>> closed = sockets.stream().map(socket -> readers.submit(() -> untilClosed(socket, started)))
                .toList();
            for (Future<Duration> open : closed) {
                assertThat(open.get()).isLessThan(Duration.ofSeconds(8));
            }
        }
    }

    @Test
    void aTrickledBodyGets408AtTheBodyDeadlineAndStoresNothing() throws Exception {
        long jobsBefore = StoredJobs.count(jdbc);
        String body = "{\"type\": \"noop\", \"payload\": {\"pad\": \"" + "x".repeat(200) + "\"}}";
        try (Socket socket = new Socket("127.0.0.1", port);
                ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor()) {
            sockets.add(socket);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
            int[] sent = { 0 };
            long started = System.nanoTime();
            // a body byte every 50 ms: 200+ bytes would take over 10 s
            trickle.scheduleAtFixedRate(() -> {
                try {
                    if (sent[0] < bytes.length) {
                        socket.getOutputStream().write(bytes[sent[0]++]);
                    }
                }
                catch (IOException ex) {
                    throw new IllegalStateException(ex);
                }
            }, 0, 50, TimeUnit.MILLISECONDS);

            String answer = readResponse(socket.getInputStream());
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(answer).startsWith("HTTP/1.1 408").contains("application/problem+json")
                .contains("spindle.api.body-timeout");
            assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
            // and the server does not drain the rest of the trickle: it closes
            assertThat(untilClosed(socket, started)).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(StoredJobs.count(jdbc)).isEqualTo(jobsBefore);
    }

    @Test
    void aFloodOfLongPollsIsRefusedBeyondMaxWaitingAndSubmitsGoOn() throws Exception {
        String id = api.submit("{\"type\": \"noop\", \"delay\": \"PT1H\"}");
        try (ExecutorService pollers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Response>> polls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                polls.add(pollers.submit(() -> api.get("/api/v1/jobs/" + id + "?wait=PT30S")));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> watchers.waiting() == 20);

            Response refused = api.get("/api/v1/jobs/" + id + "?wait=PT30S");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(refused.body().path("detail").asString()).contains("spindle.api.max-waiting");
            try (Jedis jedis = new Jedis("127.0.0.1", resp.port())) {
                assertThatThrownBy(() -> jedis.sendCommand(RespCommand.WAIT, id, "30000"))
                    .isInstanceOf(JedisDataException.class).hasMessageStartingWith("BUSY Too many long-polls");
            }
            assertServedWithinASecond(() -> api.post("/api/v1/jobs", "{\"type\": \"noop\"}"), 202);
            assertThat(api.get("/api/v1/jobs/" + id).status()).as("a read without wait is not counted").isEqualTo(200);

            assertThat(api.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
            for (Future<Response> poll : polls) {
                assertThat(poll.get().state()).isEqualTo("CANCELLED");
            }
        }
        assertThat(watchers.waiting()).isZero();
    }

    private interface Call {
        Response call();
    }

    private static void assertServedWithinASecond(Call call, int status) {
        long started = System.nanoTime();
        Response response = call.call();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(response.status()).isEqualTo(status);
        assertThat(took).isLessThan(Duration.ofSeconds(1));
    }

    /** One response: the head and a problem body, read up to the body's closing brace. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder response = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            response.append((char) b);
            if (b == '}' && response.indexOf("\r\n\r\n") > 0) {
                break;
            }
        }
        return response.toString();
    }

    /** How long after {@code started} the server closed the connection (the read sees end of stream or a reset). */
    private static Duration untilClosed(Socket socket, long started) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            while (in.read() != -1) {
                // a 400/408 the server sends before closing: read on to the close
            }
        }
        catch (SocketTimeoutException ex) {
            throw new AssertionError("the connection is still open after 10 s", ex);
        }
        catch (IOException ex) {
            // reset: closed
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
