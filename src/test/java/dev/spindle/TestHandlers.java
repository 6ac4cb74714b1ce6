package dev.spindle;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** Job types that let tests see and steer what the pool does. */
@TestConfiguration(proxyBeanMethods = false)
public class TestHandlers {

    @Bean
    CountingHandler countingHandler() {
        return new CountingHandler();
    }

    @Bean
    GateHandler gateHandler() {
        return new GateHandler();
    }

    @Bean
    FlakyHandler flakyHandler() {
        return new FlakyHandler();
    }

    @Bean
    RecordingHandler recordingHandler() {
        return new RecordingHandler();
    }

    /** Logs one line per attempt, so tests can see what a job's log lines carry. */
    @Bean
    JobHandler loggingHandler() {
        return new JobHandler() {

            private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("dev.spindle.test.LoggingJob");

            @Override
            public String type() {
                return "log";
            }

            @Override
            public String description() {
                return "Logs its payload.";
            }

            @Override
            public JsonNode handle(JobContext context) {
                log.info("working on {}", context.payload());
                return context.payload();
            }
        };
    }

    @Bean
    JobHandler bigResultHandler() {
        return new JobHandler() {

            @Override
            public String type() {
                return "big";
            }

            @Override
            public String description() {
                return "Returns a result larger than the store takes.";
            }

            @Override
            public JsonNode handle(JobContext context) {
                return JsonNodeFactory.instance.objectNode().put("blob", "x".repeat(1_100_000));
            }
        };
    }

    /** {@code counting}: counts how often each job id runs. */
    public static class CountingHandler implements JobHandler {

        public final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        @Override
        public String type() {
            return "counting";
        }

        @Override
        public String description() {
            return "Counts runs per job id.";
        }

        @Override
        public JsonNode handle(JobContext context) {
            runs.computeIfAbsent(context.jobId(), id -> new AtomicInteger()).incrementAndGet();
            return context.payload();
        }
    }

    /**
     * {@code gate}: reports progress 0.5, then waits until the test opens the gate (or it is
     * interrupted), recording who started and who was interrupted.
     */
    public static class GateHandler implements JobHandler {

        private volatile CountDownLatch gate = new CountDownLatch(1);

        public final List<String> started = new CopyOnWriteArrayList<>();

        public final List<String> interrupted = new CopyOnWriteArrayList<>();

        @Override
        public String type() {
            return "gate";
        }

        @Override
        public String description() {
            return "Waits until the test opens the gate.";
        }

        @Override
        public JsonNode handle(JobContext context) throws InterruptedException {
            started.add(context.jobId());
            context.progress(0.5);
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("gate never opened");
                }
            }
            catch (InterruptedException ex) {
                interrupted.add(context.jobId());
                throw ex;
            }
            return JsonNodeFactory.instance.objectNode().put("passed", true);
        }

        public void open() {
            gate.countDown();
        }

        /** Closes the gate again for the next test. */
        public void reset() {
            gate.countDown();
            gate = new CountDownLatch(1);
            started.clear();
            interrupted.clear();
        }
    }

    /**
     * {@code flaky}: fails the first {@code failures} attempts ({@code retryable} says how),
     * recording when each attempt started.
     */
    public static class FlakyHandler implements JobHandler {

        public final Map<String, List<Instant>> attempts = new ConcurrentHashMap<>();

        @Override
        public String type() {
            return "flaky";
        }

        @Override
        public String description() {
            return "Fails its first attempts.";
        }

        @Override
        public JsonNode handle(JobContext context) throws Exception {
            attempts.computeIfAbsent(context.jobId(), id -> new CopyOnWriteArrayList<>()).add(Instant.now());
            int failures = context.payload().path("failures").asInt(0);
            if (context.attempt() <= failures) {
                if (context.payload().path("retryable").asBoolean(true)) {
                    throw new IllegalStateException("flaky failure " + context.attempt());
                }
                throw JobFailure.permanent("bad_input", "cannot succeed");
            }
            return JsonNodeFactory.instance.objectNode().put("attempt", context.attempt());
        }
    }

    /** {@code record}: records the order jobs start in. */
    public static class RecordingHandler implements JobHandler {

        public final List<String> order = new CopyOnWriteArrayList<>();

        @Override
        public String type() {
            return "record";
        }

        @Override
        public String description() {
            return "Records the order jobs run in.";
        }

        @Override
        public JsonNode handle(JobContext context) {
            order.add(context.jobId());
            return context.payload();
        }
    }
}
