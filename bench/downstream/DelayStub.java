// A stub downstream for bench/downstream/run.sh: every request is answered after a fixed delay.
//
//   $JAVA_HOME/bin/java bench/downstream/DelayStub.java --port 18090 --delay-ms 100
//
// The JDK's HttpServer with one virtual thread per exchange: a waiting request is a parked virtual
// thread, so 1,000 (or 10,000) requests can wait at once without a thread each. It counts the
// requests it is holding ("in flight": received, not yet answered) and the most it ever held.
//
//   GET  /__stats   {"requests": n, "inFlight": n, "maxInFlight": n}   (answered at once)
//   POST /__reset   zeroes requests and maxInFlight
//   anything else   200 {"ok":true} after --delay-ms, the request body read and dropped
//
// Binds 127.0.0.1 only. Prints "STUB_READY port=<port>" on stdout once it accepts connections.

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

public class DelayStub {

    static final AtomicInteger inFlight = new AtomicInteger();

    static final AtomicInteger maxInFlight = new AtomicInteger();

    static final AtomicLong requests = new AtomicLong();

    static final byte[] OK = "{\"ok\":true}".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException {
        int port = 18090;
        long delayMs = 100;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--delay-ms" -> delayMs = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // Read by the server's configuration when the first server is made, so set them first.
        // Without TCP_NODELAY the body can wait for the ACK of the headers (Nagle + delayed ACK,
        // up to 40 ms on Linux); without a large idle limit the server closes keep-alive
        // connections beyond 200 idle ones, and the client has to reconnect.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.maxIdleConnections", "20000");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        long delay = delayMs;
        server.createContext("/", exchange -> {
            try (exchange) {
                switch (exchange.getRequestURI().getPath()) {
                    case "/__stats" -> answer(exchange, ("{\"requests\":" + requests.get() + ",\"inFlight\":" + inFlight.get()
                            + ",\"maxInFlight\":" + maxInFlight.get() + "}").getBytes(StandardCharsets.US_ASCII));
                    case "/__reset" -> {
                        requests.set(0);
                        maxInFlight.set(inFlight.get());
                        answer(exchange, OK);
                    }
                    default -> delayed(exchange, delay);
                }
            }
        });
        server.start();
        System.out.println("STUB_READY port=" + server.getAddress().getPort());
        System.out.flush();
    }

    static void delayed(HttpExchange exchange, long delayMs) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            body.transferTo(OutputStream.nullOutputStream());
        }
        requests.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            Thread.sleep(delayMs);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        finally {
            inFlight.decrementAndGet();
        }
        answer(exchange, OK);
    }

    static void answer(HttpExchange exchange, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
