package dev.spindle.tcp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A stop closes idle connections, answers the command in hand, then closes; new connections are refused. */
class RespShutdownTests {

    @Test
    void stopAnswersTheCommandInHandAndClosesEveryConnection() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SpindleApplication.class, TestHandlers.class)
            .profiles("test")
            .run();
        int port = context.getBean(RespServer.class).port();
        try (Socket idle = socket(port); Socket busy = socket(port)) {
            BufferedReader busyIn = reader(busy);
            BufferedReader idleIn = reader(idle);
            Api api = new Api(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
            String id = api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}}");
            idle.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(idleIn.readLine()).isEqualTo("+PONG");
            busy.getOutputStream().write(("WAIT " + id + " 30000\r\n").getBytes(StandardCharsets.US_ASCII));

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(context::close);

            // the WAIT is answered with the job as it stands, then the connection closes
            assertThat(busyIn.readLine()).startsWith("$");
            assertThat(Api.parse(busyIn.readLine()).path("id").asString()).isEqualTo(id);
            assertThat(busyIn.readLine()).isNull();
            assertThat(idleIn.readLine()).isNull();
            stopped.get();
            assertThatThrownBy(() -> socket(port).close()).isInstanceOf(ConnectException.class);
        }
        finally {
            context.close();
        }
    }

    @Test
    void aStoppedContextStartsAgainWithItsListener() throws Exception {
        // as Spring's test context cache pauses and resumes contexts
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SpindleApplication.class,
                TestHandlers.class).profiles("test").run()) {
            context.stop();
            context.start();

            try (Socket socket = socket(context.getBean(RespServer.class).port())) {
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(reader(socket).readLine()).isEqualTo("+PONG");
            }
        }
    }

    private static Socket socket(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }
}
