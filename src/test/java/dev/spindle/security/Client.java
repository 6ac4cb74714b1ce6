package dev.spindle.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.MissingNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real HTTP to Spindle from a chosen address: a loopback one other than 127.0.0.1 (all of
 * 127.0.0.0/8 is loopback on Linux), so that each test fails authentications from an address of
 * its own; or this host's non-loopback address, which the server sees as a remote client.
 */
final class Client implements AutoCloseable {

    private final HttpClient http;

    private final String base;

    private Client(@Nullable InetAddress local, InetAddress server, int port) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (local != null) {
            builder.localAddress(local);
        }
        this.http = builder.build();
        String host = server instanceof Inet6Address ? "[" + server.getHostAddress() + "]" : server.getHostAddress();
        this.base = "http://" + host + ":" + port;
    }

    /** A client on 127.0.0.1. */
    static Client loopback(int port) {
        return new Client(null, InetAddress.getLoopbackAddress(), port);
    }

    /** A client connecting from the loopback address {@code 127.0.0.<last>}. */
    static Client fromLoopback(int last, int port) {
        return new Client(address("127.0.0." + last), InetAddress.getLoopbackAddress(), port);
    }

    /** A client connecting to (and so from) {@code address}. */
    static Client from(InetAddress address, int port) {
        return new Client(address, address, port);
    }

    /**
     * This host's address on an interface that is up and not loopback (IPv4 first), to which the
     * server, listening on every address, is reachable from here as a remote client.
     */
    static Optional<InetAddress> nonLoopbackAddress() {
        try {
            return NetworkInterface.networkInterfaces()
                .filter(Client::up)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> !address.isLoopbackAddress() && !address.isLinkLocalAddress()
                        && !address.isAnyLocalAddress())
                .min(Comparator.comparing(address -> address instanceof Inet4Address ? 0 : 1));
        }
        catch (SocketException ex) {
            return Optional.empty();
        }
    }

    Response get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Response post(String path, String json, String... headers) {
        return send("POST", path, json, headers);
    }

    /** Any method, with a JSON body or none ({@code json} null), and headers as name, value pairs. */
    Response send(String method, String path, @Nullable String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        if (json == null) {
            request.method(method, BodyPublishers.noBody());
        }
        else {
            request.header("Content-Type", "application/json").method(method, BodyPublishers.ofString(json));
        }
        try {
            HttpResponse<String> response = http.send(request.build(), BodyHandlers.ofString());
            String body = response.body();
            String type = response.headers().firstValue("Content-Type").orElse("");
            boolean isJson = type.startsWith("application/json") || type.contains("+json");
            return new Response(response.statusCode(), response,
                    body == null || body.isBlank() || !isJson ? MissingNode.getInstance() : Api.parse(body));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Asserts that {@code response} is a problem+json answer of {@code status} whose detail contains {@code detail}. */
    static void assertProblem(Response response, int status, String detail) {
        assertThat(response.status()).as("status of %s", response.raw().body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().path("status").asInt()).isEqualTo(status);
        assertThat(response.body().path("detail").asString()).contains(detail);
    }

    @Override
    public void close() {
        http.close();
    }

    private static boolean up(NetworkInterface network) {
        try {
            return network.isUp() && !network.isLoopback();
        }
        catch (SocketException ex) {
            return false;
        }
    }

    private static InetAddress address(String literal) {
        return InetAddress.ofLiteral(literal);
    }
}
