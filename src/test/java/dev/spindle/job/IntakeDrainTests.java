package dev.spindle.job;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A graceful stop closes intake before the ports: while a submission in hand is being answered,
 * new submissions get 503 over REST and {@code -BUSY} over RESP on connections that are still
 * accepted; the submission in hand is stored and answered 202; then the ports close.
 */
class IntakeDrainTests {

    /** {@code held}: its payload validation waits for the test, so its submission stays in hand. */
    static final class HeldHandler implements JobHandler {

        final CountDownLatch entered = new CountDownLatch(1);

        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public String type() {
            return "held";
        }

        @Override
        public String description() {
            return "Holds its submission in validation until the test releases it.";
        }

        @Override
        public void validate(JsonNode payload) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public JsonNode handle(JobContext context) {
            return context.payload();
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Held {

        @Bean
        HeldHandler heldHandler() {
            return new HeldHandler();
        }
    }

    @Test
    void newSubmissionsAreRefusedOnOpenPortsUntilTheSubmissionInHandIsAnswered() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SpindleApplication.class,
                TestHandlers.class, Held.class).profiles("test").run();
        try {
            HeldHandler held = context.getBean(HeldHandler.class);
            JobService jobs = context.getBean(JobService.class);
            int httpPort = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            int respPort = context.getBean(RespServer.class).port();
            Api api = new Api(httpPort);
            CompletableFuture<Api.Response> inHand = CompletableFuture
                .supplyAsync(() -> api.post("/api/v1/jobs", "{\"type\": \"held\", \"payload\": {}}"));
            assertThat(held.entered.await(30, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(context::close);
            await().atMost(Duration.ofSeconds(10)).until(() -> !jobs.isAccepting());

            // both ports still take connections, and refuse new work with a retryable answer
            Api.Response refused = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"payload\": {}}");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(refused.header("Retry-After")).isNotBlank();
            try (Socket resp = new Socket("127.0.0.1", respPort)) {
                resp.setSoTimeout(30_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(resp.getInputStream(), StandardCharsets.UTF_8));
                resp.getOutputStream().write("PING\r\nSUBMIT {\"type\":\"noop\"}\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("+PONG");
                assertThat(in.readLine()).startsWith("-BUSY");
            }
            assertThat(stopped).isNotDone();

            held.release.countDown();
            Api.Response answered = inHand.get(30, TimeUnit.SECONDS);
            assertThat(answered.status()).isEqualTo(202);
            assertThat(answered.body().path("state").asString()).isEqualTo("QUEUED");
            stopped.get(60, TimeUnit.SECONDS);
            assertThatThrownBy(() -> new Socket("127.0.0.1", httpPort).close()).isInstanceOf(ConnectException.class);
            assertThatThrownBy(() -> new Socket("127.0.0.1", respPort).close()).isInstanceOf(ConnectException.class);
        }
        finally {
            context.close();
        }
    }

    @Test
    void aStopDoesNotWaitForeverForASubmissionInHand() throws InterruptedException {
        IntakeGate gate = new IntakeGate();
        gate.open();
        assertThat(gate.enter()).isTrue();
        gate.close();

        assertThat(gate.enter()).isFalse();
        assertThat(gate.awaitDrained(Duration.ofMillis(50))).isFalse();
        gate.leave();
        assertThat(gate.awaitDrained(Duration.ofMillis(50))).isTrue();
        assertThat(gate.inHand()).isZero();
    }
}
