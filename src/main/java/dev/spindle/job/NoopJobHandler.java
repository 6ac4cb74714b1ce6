package dev.spindle.job;

import tools.jackson.databind.JsonNode;

import org.springframework.stereotype.Component;

/** Does nothing; its result is its payload. For smoke tests and measuring the machinery itself. */
@Component
class NoopJobHandler implements JobHandler {

    @Override
    public String type() {
        return "noop";
    }

    @Override
    public String description() {
        return "Does nothing; the result is the payload.";
    }

    @Override
    public JsonNode handle(JobContext context) {
        return context.payload();
    }
}
