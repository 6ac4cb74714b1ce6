package dev.spindle.tcp;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import dev.spindle.Api;
import dev.spindle.RespClient;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import dev.spindle.security.Access;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * RESP in protected mode (no credentials configured, the tests' default context): loopback clients
 * are served without AUTH, as before authentication existed; a client at any other address is told
 * {@code -DENIED} with what to configure, and disconnected. This host's own non-loopback address
 * stands in for a remote client: connecting to it, the listener sees the client there.
 */
@SpindleTest
class RespProtectedModeTests {

    private static final String NOOP = "{\"type\":\"noop\"}";

    @Autowired
    RespServer server;

    @Autowired
    JdbcClient jdbc;

    @Test
    void loopbackClientsAreServedWithoutAuth() throws IOException {
        try (RespClient client = client(InetAddress.getLoopbackAddress())) {
            assertThat(client.call(args("PING"))).isEqualTo("+PONG");
            String id = bulk(client.call(args("SUBMIT", NOOP)));
            JsonNode job = Api.parse(bulk(client.call(args("WAIT", id, "10000"))));

            assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(job.has("submittedBy")).as("no one authenticated: %s", job).isFalse();
        }
    }

    @Test
    void ipv6LoopbackIsLoopbackToo() throws IOException {
        InetAddress ipv6 = InetAddress.ofLiteral("::1");
        try (RespClient client = client(ipv6)) {
            assertThat(client.call(args("PING"))).isEqualTo("+PONG");
        }
        catch (SocketException ex) {
            assumeThat(ex).as("no IPv6 loopback here").isNull();
        }
    }

    @Test
    void authWithNoCredentialsConfiguredIsAnErrorNotOk() throws IOException {
        try (RespClient client = client(InetAddress.getLoopbackAddress())) {
            assertThat(client.call(args("AUTH", "some-key-0123456789abcdef")))
                .startsWith("-ERR AUTH <password> called without any password configured");
            assertThat(client.call(args("AUTH", "ci", "some-key-0123456789abcdef")))
                .startsWith("-ERR AUTH <password> called without any password configured");
            assertThat(client.call(args("PING"))).isEqualTo("+PONG");
        }
    }

    @Test
    void aClientAtANonLoopbackAddressIsDeniedWithTheHintAndDisconnected() throws IOException {
        long before = StoredJobs.count(jdbc);
        for (InetAddress address : nonLoopbackAddresses()) {
            for (String first : List.of("SUBMIT", "AUTH", "QUIT", "PING")) {
                try (RespClient client = client(address)) {
                    String reply = client.call(first.equals("SUBMIT") ? args("SUBMIT", NOOP)
                            : first.equals("AUTH") ? args("AUTH", "some-key-0123456789abcdef") : args(first));

                    assertThat(reply).as("%s from %s", first, address).isEqualTo("-DENIED " + Access.PROTECTED_MODE_HINT)
                        .contains("spindle.security.api-keys");
                    assertThatThrownBy(() -> client.call(args("PING"))).as("closed after DENIED").isInstanceOf(IOException.class);
                }
            }
        }
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
    }

    @Test
    void aNonLoopbackClientIsDeniedOnConnectingBeforeItSendsAnything() throws IOException {
        InetAddress address = nonLoopbackAddresses().getFirst();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, server.port()), 5_000);
            socket.setSoTimeout(10_000);

            // everything until the listener closes: the error alone
            String said = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(said).isEqualTo("-DENIED " + Access.PROTECTED_MODE_HINT + "\r\n");
        }
    }

    /** This host's up, non-loopback, non-link-local addresses (IPv4 first); skips the test when it has none. */
    static List<InetAddress> nonLoopbackAddresses() throws SocketException {
        List<InetAddress> addresses = NetworkInterface.networkInterfaces()
            .filter(RespProtectedModeTests::up)
            .flatMap(NetworkInterface::inetAddresses)
            .filter(address -> !address.isLoopbackAddress() && !address.isLinkLocalAddress() && !address.isAnyLocalAddress())
            .sorted((a, b) -> Boolean.compare(!(a instanceof Inet4Address), !(b instanceof Inet4Address)))
            .toList();
        assumeThat(addresses).as("this host has no non-loopback address to connect to").isNotEmpty();
        return addresses;
    }

    private static boolean up(NetworkInterface network) {
        try {
            return network.isUp() && !network.isLoopback();
        }
        catch (SocketException ex) {
            return false;
        }
    }

    /** A client connected to the listener at {@code address}, so that the listener sees it there. */
    private RespClient client(InetAddress address) throws IOException {
        return new RespClient(new InetSocketAddress(address, server.port()), null);
    }

    private static String bulk(String reply) {
        assertThat(reply).startsWith("$");
        return reply.substring(reply.indexOf('\n') + 1);
    }

    private static List<byte[]> args(String... arguments) {
        return Stream.of(arguments).map(argument -> argument.getBytes(StandardCharsets.UTF_8)).toList();
    }
}
