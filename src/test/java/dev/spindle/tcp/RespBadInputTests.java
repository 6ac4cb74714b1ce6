package dev.spindle.tcp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile and broken clients on raw sockets. Each time: a RESP error or a close, no job stored, and
 * the listener goes on serving everyone else.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.tcp.idle-timeout=1s", "spindle.tcp.command-timeout=2s",
        "spindle.tcp.max-connections=1000",
        "resilience4j.ratelimiter.configs.intake.limit-for-period=5",
        "resilience4j.ratelimiter.configs.intake.limit-refresh-period=1h" })
class RespBadInputTests {

    @Autowired
    RespServer server;

    @Autowired
    JdbcClient jdbc;

    long jobsBefore;

    @BeforeEach
    void quietListener() {
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
        jobsBefore = jobCount();
    }

    @AfterEach
    void listenerStillServesAndNothingWasStored() throws IOException {
        assertThat(exchange("PING\r\n")).isEqualTo("+PONG\r\n");
        assertThat(jobCount()).isEqualTo(jobsBefore);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            negative bulk length      | *2\\r\\n$6\\r\\nSUBMIT\\r\\n$-5\\r\\n                    | -ERR Protocol error: invalid bulk length -5
            huge bulk length          | *2\\r\\n$6\\r\\nSUBMIT\\r\\n$99999999999\\r\\n           | -ERR Protocol error: invalid bulk length 99999999999
            huge multibulk length     | *2147483648\\r\\n                                      | -ERR Protocol error: invalid multibulk length
            non-numeric length        | *2\\r\\n$six\\r\\n                                      | -ERR Protocol error: invalid bulk length 'six'
            missing dollar            | *1\\r\\n+PING\\r\\n                                     | -ERR Protocol error: expected '$', got '+'
            bulk without CRLF         | *1\\r\\n$4\\r\\nPINGxx                                 | -ERR Protocol error: a bulk string of 4 bytes is not followed by CRLF
            unbalanced quotes         | SUBMIT "{\\r\\n                                        | -ERR Protocol error: unbalanced quotes
            multibulk over long       | *9223372036854775808\\r\\nPING\\r\\n                  | -ERR Protocol error: invalid multibulk length '9223372036854775808'
            multibulk of 20 digits    | *99999999999999999999\\r\\nPING\\r\\n                 | -ERR Protocol error: invalid multibulk length '99999999999999999999'
            negative multibulk length | *-5\\r\\nPING\\r\\n                                 | -ERR Protocol error: invalid multibulk length -5
            bulk length over long     | *2\\r\\n$6\\r\\nSUBMIT\\r\\n$9223372036854775808\\r\\n   | -ERR Protocol error: invalid bulk length '9223372036854775808'
            bulk length under long    | *2\\r\\n$6\\r\\nSUBMIT\\r\\n$-9223372036854775809\\r\\n  | -ERR Protocol error: invalid bulk length '-9223372036854775809'
            null bulk in a command    | *2\\r\\n$4\\r\\nPING\\r\\n$-1\\r\\n                  | -ERR Protocol error: invalid bulk length -1
            inline over max-arguments | PING 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\\r\\n        | -ERR Protocol error: too many arguments in inline request (at most 16)""")
    void framingErrorsGetOneErrorAndAClose(String name, String request, String reply) throws IOException {
        String sent = request.strip().replace("\\r", "\r").replace("\\n", "\n");

        String answer = exchange(sent);

        assertThat(answer).startsWith(reply).endsWith("\r\n");
        assertThat(answer.lines().count()).as("one reply, then the close").isEqualTo(1);
    }

    @Test
    void anEmptyOrNullArrayIsIgnoredLikeRedisDoes() throws IOException {
        assertThat(exchange("*0\r\n*-1\r\n\r\nPING\r\n")).isEqualTo("+PONG\r\n");
    }

    @Test
    void randomBytesGetErrorsOrACloseButNeverAJob() throws IOException {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            byte[] garbage = new byte[4096];
            random.nextBytes(garbage);
            String answer = exchange(garbage);
            answer.lines().forEach(line -> assertThat(line).startsWith("-"));
        }
    }

    @Test
    void aTenMebibyteLineIsCutOffAtTheLimit() throws Exception {
        try (Socket socket = socket()) {
            byte[] line = new byte[10 * 1024 * 1024];
            Arrays.fill(line, (byte) 'a');
            ExecutorService writer = Executors.newVirtualThreadPerTaskExecutor();
            Future<?> writing = writer.submit(() -> {
                try {
                    socket.getOutputStream().write(line);
                }
                catch (IOException ex) {
                    // the server closed the connection part way: expected
                }
                return null;
            });
            String answer = readAll(socket.getInputStream());
            assertThat(answer).satisfiesAnyOf(
                    a -> assertThat(a).startsWith("-ERR Protocol error: too big inline request"),
                    a -> assertThat(a).as("reset before the reply was read").isEmpty());
            writing.get();
            writer.close();
        }
    }

    @Test
    void binaryPayloadsAreInvalidJobsAndTheConnectionStaysUsable() throws IOException {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes("*2\r\n$6\r\nSUBMIT\r\n$256\r\n".getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(binary);
        request.writeBytes("\r\nPING\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));

        List<String> replies = exchange(request.toByteArray()).lines().toList();

        assertThat(replies).hasSize(3);
        assertThat(replies.get(0)).startsWith("-ERR invalid job: Malformed JSON");
        assertThat(replies.subList(1, 3)).containsExactly("+PONG", "+OK");
    }

    @Test
    void anUnterminatedCommandOrASilentClientIsClosedWhenIdle() throws IOException {
        try (Socket silent = socket(); Socket unterminated = socket()) {
            unterminated.getOutputStream().write("*2\r\n$6\r\nSUBMIT\r\n".getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();

            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(unterminated.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void inlineCommandsUpToMaxArgumentsAreServed() throws IOException {
        // PING takes one argument: the arity error shows the line was read and split, not refused
        assertThat(exchange("PING 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\r\nPING\r\n"))
            .isEqualTo("-ERR wrong number of arguments for 'ping' command\r\n+PONG\r\n");
    }

    @Test
    void aCommandTrickledInByteByByteIsClosedAtTheCommandTimeout() throws Exception {
        byte[] command = ("*2\r\n$6\r\nSUBMIT\r\n$1000\r\n" + "{\"type\": \"noop\"".repeat(60))
            .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = socket(); ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor()) {
            OutputStream out = socket.getOutputStream();
            int[] sent = { 0 };
            long started = System.nanoTime();
            // a byte every 100 ms: well inside the 1 s idle timeout, so only the command timeout (2 s) ends it
            trickle.scheduleAtFixedRate(() -> {
                try {
                    out.write(command[sent[0]++]);
                }
                catch (IOException | ArrayIndexOutOfBoundsException ex) {
                    throw new IllegalStateException(ex);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            Duration open = Duration.ofNanos(System.nanoTime() - started);
            assertThat(open).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(5));
        }
    }

    @Test
    void aClientThatVanishesMidCommandCreatesNoJob() throws IOException {
        try (Socket socket = socket()) {
            socket.getOutputStream().write("*2\r\n$6\r\nSUBMIT\r\n$100\r\n{\"type\": \"noop\"".getBytes(StandardCharsets.US_ASCII));
        }
        try (Socket socket = socket()) {
            socket.getOutputStream().write("SUBMIT {\"type\": \"noop\"".getBytes(StandardCharsets.US_ASCII));
            socket.setSoLinger(true, 0);
        }
    }

    @Test
    void aBurstOfSubmitsHitsTheIntakeLimitWithALimitErrorAndTheConnectionStaysUsable() throws IOException {
        StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            burst.append("SUBMIT {\"type\": \"noop\"}\r\n");
        }
        burst.append("PING\r\nQUIT\r\n");

        List<String> replies = exchange(burst.toString()).lines().toList();

        long accepted = replies.stream().filter(line -> line.startsWith("$36")).count();
        assertThat(replies).anySatisfy(line -> assertThat(line).startsWith("-LIMIT This client may make 5 requests per PT1H; retry in"));
        assertThat(accepted).isLessThan(6);
        assertThat(replies.subList(replies.size() - 2, replies.size())).containsExactly("+PONG", "+OK");
        // the accepted ones are stored (the after-each check counts from here)
        await().until(() -> jobCount() == jobsBefore + accepted);
        jobsBefore += accepted;
    }

    @Test
    void aThousandConcurrentConnectionsAreServedAndOneMoreIsRefused() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 1000; i++) {
                sockets.add(socket());
            }
            List<Future<String>> pongs = sockets.stream().map(socket -> clients.submit(() -> {
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = socket.getInputStream().readNBytes(7);
                return new String(reply, StandardCharsets.US_ASCII);
            })).toList();
            for (Future<String> pong : pongs) {
                assertThat(pong.get()).isEqualTo("+PONG\r\n");
            }
            assertThat(server.connections()).isEqualTo(1000);

            try (Socket oneMore = socket()) {
                assertThat(readAll(oneMore.getInputStream())).isEqualTo("-ERR max number of clients reached\r\n");
            }
        }
        finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
    }

    private Socket socket() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends {@code request}, half-closes, and reads every reply until the server closes. */
    private String exchange(String request) throws IOException {
        return exchange(request.getBytes(StandardCharsets.UTF_8));
    }

    private String exchange(byte[] request) throws IOException {
        try (Socket socket = socket()) {
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                socket.shutdownOutput();
            }
            catch (SocketException ex) {
                // the server already closed: read what it said
            }
            return readAll(socket.getInputStream());
        }
    }

    private static String readAll(InputStream in) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            in.transferTo(bytes);
        }
        catch (IOException ex) {
            // a reset after the server's reply: keep what arrived
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private long jobCount() {
        return StoredJobs.count(jdbc);
    }
}
