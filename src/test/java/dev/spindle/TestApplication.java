package dev.spindle;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobHandler;
import dev.spindle.memory.OutOfMemoryExit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.context.annotation.Bean;

/**
 * Spindle with the test job types, for tests that run it in its own JVM ({@link SpindleProcess#startMain}),
 * plus {@code hold}: a hold job keeps {@code payload.mb} megabytes reachable until it is cancelled,
 * which is how a test puts a small heap under pressure and then releases it.
 */
public final class TestApplication {

    private TestApplication() {
    }

    public static void main(String[] args) {
        OutOfMemoryExit.install();
        SpringApplication.run(new Class<?>[] { SpindleApplication.class, TestHandlers.class, HoldHandlerConfiguration.class }, args);
    }

    /** Not a {@code @Configuration}: the tests' component scan would add it to every test context. */
    static class HoldHandlerConfiguration {

        @Bean
        JobHandler holdHandler() {
            return new JobHandler() {

                @Override
                public String type() {
                    return "hold";
                }

                @Override
                public String description() {
                    return "Keeps payload.mb megabytes reachable until cancelled.";
                }

                @Override
                public JsonNode handle(JobContext context) throws InterruptedException {
                    int megabytes = context.payload().path("mb").asInt();
                    // 256 KB pieces: below G1's humongous size, so they age and are promoted like
                    // ordinary long-lived objects
                    List<byte[]> held = new ArrayList<>();
                    for (int i = 0; i < megabytes * 4; i++) {
                        held.add(new byte[256 * 1024]);
                    }
                    try {
                        new CountDownLatch(1).await(); // until the cancel interrupts it
                    }
                    finally {
                        held.clear();
                    }
                    return JsonNodeFactory.instance.numberNode(held.size());
                }
            };
        }

        /**
         * {@code churn}: allocates {@code payload.totalMb} megabytes in 256 KB pieces at
         * {@code payload.mbPerSecond}, keeping the latest {@code payload.windowMb} reachable: objects
         * that live long enough to be promoted, then die, as a busy service's requests and buffers do.
         */
        @Bean
        JobHandler churnHandler() {
            return new JobHandler() {

                @Override
                public String type() {
                    return "churn";
                }

                @Override
                public String description() {
                    return "Allocates payload.totalMb MB, keeping the latest payload.windowMb MB reachable.";
                }

                @Override
                public JsonNode handle(JobContext context) throws InterruptedException {
                    int window = context.payload().path("windowMb").asInt() * 4;
                    long pieces = context.payload().path("totalMb").asLong() * 4;
                    long mbPerSecond = context.payload().path("mbPerSecond").asLong(1_000);
                    byte[][] ring = new byte[window][];
                    long started = System.nanoTime();
                    for (long i = 0; i < pieces; i++) {
                        ring[(int) (i % window)] = new byte[256 * 1024];
                        // paced: a service that allocates fast, not a heap that thrashes
                        long due = started + i * 1_000_000_000L / (mbPerSecond * 4);
                        if (i % 64 == 0 && due > System.nanoTime()) {
                            Thread.sleep(java.time.Duration.ofNanos(due - System.nanoTime()));
                        }
                    }
                    return JsonNodeFactory.instance.numberNode(ring.length);
                }
            };
        }
    }
}
