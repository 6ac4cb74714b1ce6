package dev.spindle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobRequest;
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

    @Bean
    PipeHandler pipeHandler() {
        return new PipeHandler();
    }

    @Bean
    FanOutHandler fanOutHandler() {
        return new FanOutHandler();
    }

    @Bean
    JoinHandler joinHandler() {
        return new JoinHandler();
    }

    @Bean
    SwitchHandler switchHandler() {
        return new SwitchHandler();
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
    LinesHandler linesHandler() {
        return new LinesHandler();
    }

    /**
     * {@code spew}: writes {@code payload.mb} megabytes of output, byte {@code i} being
     * {@code i % 251}, in 64 KB writes: a stream no heap holds.
     */
    @Bean
    JobHandler spewHandler() {
        return new JobHandler() {

            @Override
            public String type() {
                return "spew";
            }

            @Override
            public String description() {
                return "Writes payload.mb megabytes of output (byte i is i % 251).";
            }

            @Override
            public JsonNode handle(JobContext context) throws java.io.IOException {
                long total = context.payload().path("mb").asLong() << 20;
                byte[] block = new byte[64 * 1024];
                for (long written = 0; written < total; written += block.length) {
                    for (int i = 0; i < block.length; i++) {
                        block[i] = (byte) ((written + i) % 251);
                    }
                    context.output().write(block, 0, (int) Math.min(block.length, total - written));
                }
                return JsonNodeFactory.instance.numberNode(context.output().size());
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

    /**
     * {@code lines}: writes {@code payload.count} NDJSON lines {@code {"i": n}}, logging each
     * {@code payload.logEvery}th; with {@code payload.holdAfter}, it flushes after that many lines
     * and waits for {@link #release} before it writes the rest; with {@code payload.failFirst}, its
     * first attempt writes {@code {"failed": 1}} and fails (retryable), after the release if it holds.
     */
    public static class LinesHandler implements JobHandler {

        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("dev.spindle.test.LinesJob");

        public volatile CountDownLatch release = new CountDownLatch(1);

        @Override
        public String type() {
            return "lines";
        }

        @Override
        public String description() {
            return "Writes payload.count NDJSON lines, optionally holding after payload.holdAfter.";
        }

        @Override
        public String outputType() {
            return "application/x-ndjson";
        }

        @Override
        public JsonNode handle(JobContext context) throws Exception {
            int count = context.payload().path("count").asInt();
            int holdAfter = context.payload().path("holdAfter").asInt(-1);
            int logEvery = context.payload().path("logEvery").asInt(0);
            if (context.payload().path("failFirst").asBoolean() && context.attempt() == 1) {
                context.output().line(JsonNodeFactory.instance.objectNode().put("failed", 1));
                context.output().flush();
                if (holdAfter >= 0 && !release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
                throw JobFailure.retryable("first_attempt", "the first attempt fails");
            }
            for (int i = 0; i < count; i++) {
                if (i == holdAfter) {
                    context.output().flush();
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                }
                context.output().line(JsonNodeFactory.instance.objectNode().put("i", i));
                if (logEvery > 0 && i % logEvery == 0) {
                    log.info("wrote line {}", i);
                }
            }
            return JsonNodeFactory.instance.numberNode(count);
        }
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

    /**
     * {@code pipe}: a workflow step that passes a sum on: {@code payload.add} plus the {@code sum} of
     * each dependency's result; the result names the dependencies it saw. Counts runs per job id.
     */
    public static class PipeHandler implements JobHandler {

        public final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        @Override
        public String type() {
            return "pipe";
        }

        @Override
        public String description() {
            return "Adds payload.add to the sums of its dependencies' results.";
        }

        @Override
        public JsonNode handle(JobContext context) {
            runs.computeIfAbsent(context.jobId(), id -> new AtomicInteger()).incrementAndGet();
            long sum = context.payload().path("add").asLong(0);
            var inputs = JsonNodeFactory.instance.arrayNode();
            for (var entry : new TreeMap<>(context.dependencyResults()).entrySet()) {
                sum += entry.getValue().path("sum").asLong(0);
                inputs.add(entry.getKey());
            }
            var result = JsonNodeFactory.instance.objectNode().put("sum", sum);
            result.set("inputs", inputs);
            if (context.stepId() != null) {
                result.put("step", context.stepId());
            }
            return result;
        }
    }

    /**
     * {@code spread}: adds {@code payload.children} children of type {@code pipe}, child i adding
     * i, in calls of {@code payload.per} (default 1000); fails its first {@code payload.failures}
     * attempts after adding them, to show a retried step adds nothing twice.
     */
    public static class FanOutHandler implements JobHandler {

        @Override
        public String type() {
            return "spread";
        }

        @Override
        public String description() {
            return "Adds payload.children pipe children.";
        }

        @Override
        public JsonNode handle(JobContext context) {
            int children = context.payload().path("children").asInt();
            int per = context.payload().path("per").asInt(1000);
            int added = 0;
            for (int from = 0; from < children; from += per) {
                List<JobRequest> batch = new ArrayList<>();
                for (int i = from; i < Math.min(children, from + per); i++) {
                    batch.add(JobRequest.of("pipe", JsonNodeFactory.instance.objectNode().put("add", i)));
                }
                added += context.addChildren(batch);
            }
            if (context.attempt() <= context.payload().path("failures").asInt(0)) {
                throw new IllegalStateException("fails after adding its children, attempt " + context.attempt());
            }
            return JsonNodeFactory.instance.objectNode().put("added", added);
        }
    }

    /**
     * {@code join}: sums the {@code sum} of the children that dependency {@code payload.of} added,
     * in order; counts runs per job id and keeps the order of the children's sums it saw.
     */
    public static class JoinHandler implements JobHandler {

        public final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        @Override
        public String type() {
            return "join";
        }

        @Override
        public String description() {
            return "Sums the results of a dependency's children.";
        }

        @Override
        public JsonNode handle(JobContext context) {
            runs.computeIfAbsent(context.jobId(), id -> new AtomicInteger()).incrementAndGet();
            List<JsonNode> children = context.childResults(context.payload().path("of").asString());
            long sum = 0;
            boolean ordered = true;
            for (int i = 0; i < children.size(); i++) {
                sum += children.get(i).path("sum").asLong();
                ordered &= children.get(i).path("sum").asLong() == i;
            }
            return JsonNodeFactory.instance.objectNode().put("count", children.size()).put("sum", sum)
                .put("ordered", ordered);
        }
    }

    /** {@code switch}: fails for good while {@link #failing} is set, else succeeds. */
    public static class SwitchHandler implements JobHandler {

        public volatile boolean failing = true;

        @Override
        public String type() {
            return "switch";
        }

        @Override
        public String description() {
            return "Fails while the test says so.";
        }

        @Override
        public JsonNode handle(JobContext context) throws JobFailure {
            if (failing) {
                throw JobFailure.permanent("switched_off", "the test switched this step off");
            }
            return JsonNodeFactory.instance.objectNode().put("sum", 100);
        }
    }
}
