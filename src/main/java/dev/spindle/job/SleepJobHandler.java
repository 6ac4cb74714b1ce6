package dev.spindle.job;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.stereotype.Component;

/** Waits {@code ms} milliseconds, standing in for I/O-bound work; a virtual thread parks without holding a carrier. */
@Component
class SleepJobHandler implements JobHandler {

    static final long MAX_MS = 24 * 60 * 60 * 1000L;

    @Override
    public String type() {
        return "sleep";
    }

    @Override
    public String description() {
        return "Waits {\"ms\": N} milliseconds (0 to 86400000), standing in for I/O-bound work.";
    }

    @Override
    public void validate(JsonNode payload) {
        JsonNode ms = payload.get("ms");
        if (ms == null || !ms.isIntegralNumber() || !ms.canConvertToLong() || ms.asLong() < 0 || ms.asLong() > MAX_MS) {
            throw new IllegalArgumentException("payload.ms must be a whole number of milliseconds from 0 to " + MAX_MS);
        }
    }

    @Override
    public JsonNode handle(JobContext context) throws InterruptedException {
        long ms = context.payload().get("ms").asLong();
        Thread.sleep(ms);
        return JsonNodeFactory.instance.objectNode().put("sleptMs", ms);
    }
}
