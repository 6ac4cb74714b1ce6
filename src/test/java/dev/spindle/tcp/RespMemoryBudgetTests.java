package dev.spindle.tcp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connections that declare big bulk strings and stall cost only what has arrived, all of them
 * together stay within {@code max-buffered}, and a real client gets PONG throughout.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.tcp.max-connections=2100", "spindle.tcp.max-buffered=4MB",
        "spindle.tcp.idle-timeout=1m", "spindle.tcp.command-timeout=1m" })
class RespMemoryBudgetTests {

    private static final byte[] DECLARES_A_MEBIBYTE = "*2\r\n$6\r\nSUBMIT\r\n$1048576\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final long BUDGET = 4 * 1024 * 1024;

    @Autowired
    RespServer server;

    @Autowired
    MeterRegistry meters;

    @Autowired
    JdbcClient jdbc;

    final List<Socket> sockets = new ArrayList<>();

    Jedis jedis;

    long jobsBefore;

    @BeforeEach
    void connect() {
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
        jedis = new Jedis("127.0.0.1", server.port());
        jobsBefore = StoredJobs.count(jdbc);
    }

    @AfterEach
    void closeAll() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        assertThat(jedis.ping()).isEqualTo("PONG");
        jedis.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
        assertThat(server.buffered()).as("every byte charged is given back when its connection ends").isZero();
        assertThat(StoredJobs.count(jdbc)).isEqualTo(jobsBefore);
    }

    @Test
    void twoThousandStalledMebibyteBulksCostOnlyWhatArrivedAndPingsGoOn() throws IOException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        memory.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();

        for (int i = 0; i < 2000; i++) {
            Socket socket = socket();
            // the header and the bulk's first byte: the server has read the header once it holds the byte
            socket.getOutputStream().write(DECLARES_A_MEBIBYTE);
            socket.getOutputStream().write('{');
            if (i % 500 == 0) {
                assertThat(jedis.ping()).isEqualTo("PONG");
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> server.buffered() >= 2000);
        assertThat(jedis.ping()).isEqualTo("PONG");

        // the command name (6 bytes) and twice the one byte of the bulk that came, not a mebibyte
        assertThat(server.buffered()).isLessThanOrEqualTo(2000 * 8);
        assertThat(meters.get("spindle.tcp.buffered.bytes").gauge().value()).isEqualTo((double) server.buffered());
        memory.gc();
        long grown = memory.getHeapMemoryUsage().getUsed() - heapBefore;
        // declared up front it would be 2 GB; the read buffers and sockets are a few tens of MB
        assertThat(grown).as("heap grown by %d bytes", grown).isLessThan(200L * 1024 * 1024);
    }

    @Test
    void connectionsThatWouldTakeTheListenerOverItsBudgetGetBusyAndAreClosed() throws IOException {
        double busyBefore = busyReplies();
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        // 100 connections x 64 KiB sent (plus growth headroom) is well over the 4 MB budget
        for (int i = 0; i < 100; i++) {
            Socket socket = socket();
            socket.getOutputStream().write(DECLARES_A_MEBIBYTE);
            try {
                socket.getOutputStream().write(chunk);
            }
            catch (IOException ex) {
                // refused and closed while we wrote: counted below
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> busyReplies() > busyBefore);
        assertThat(server.buffered()).isLessThanOrEqualTo(BUDGET);
        assertThat(jedis.ping()).isEqualTo("PONG");

        List<String> replies = new ArrayList<>();
        for (Socket socket : sockets) {
            if (socket.getInputStream().available() > 0) {
                replies.add(readWhatIsThere(socket));
            }
        }
        assertThat(replies).isNotEmpty()
            .allSatisfy(reply -> assertThat(reply).startsWith("-BUSY the server holds too much unfinished client data"));
        assertThat(server.buffered()).isLessThanOrEqualTo(BUDGET);
    }

    private double busyReplies() {
        return meters.get("spindle.tcp.errors").tag("kind", "busy").counter().count();
    }

    private Socket socket() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(200);
        sockets.add(socket);
        return socket;
    }

    /** What the server sent before it closed (or within the socket's short timeout). */
    private static String readWhatIsThere(Socket socket) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[256];
            int n;
            while ((n = in.read(buffer)) > 0) {
                bytes.write(buffer, 0, n);
            }
        }
        catch (IOException ex) {
            // a timeout (still open) or a reset after the reply: keep what arrived
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
