package dev.spindle;

import java.util.ArrayList;
import java.util.List;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobHandler;
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
                        Thread.sleep(Long.MAX_VALUE);
                    }
                    finally {
                        held.clear();
                    }
                    return JsonNodeFactory.instance.numberNode(held.size());
                }
            };
        }
    }
}
