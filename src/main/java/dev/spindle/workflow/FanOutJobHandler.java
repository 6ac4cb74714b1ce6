package dev.spindle.workflow;

import java.util.ArrayList;
import java.util.List;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobRequest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.stereotype.Component;

/**
 * {@code fanout}: a workflow step that adds one child job per item: {@code payload.type} is the
 * children's type, and either {@code payload.payloads} lists each child's payload, or
 * {@code payload.count} children all get {@code payload.payload} with their {@code index} added.
 * The step ends once every child has; a step that depends on it reads their results in order
 * (the {@code collect} type does).
 */
@Component
class FanOutJobHandler implements JobHandler {

    /** Children per store transaction. */
    private static final int CHUNK = 1000;

    @Override
    public String type() {
        return "fanout";
    }

    @Override
    public String description() {
        return "Workflow step: adds a child job of payload.type per payload.payloads item (or payload.count of them).";
    }

    @Override
    public void validate(JsonNode payload) {
        if (!payload.path("type").isString()) {
            throw new IllegalArgumentException("type: the children's job type is required");
        }
        boolean listed = payload.has("payloads");
        boolean counted = payload.has("count");
        if (listed == counted) {
            throw new IllegalArgumentException("give either payloads (one per child) or count");
        }
        if (listed && (!payload.path("payloads").isArray()
                || !payload.path("payloads").valueStream().allMatch(JsonNode::isObject))) {
            throw new IllegalArgumentException("payloads: must be an array of objects");
        }
        if (counted && (!payload.path("count").canConvertToInt() || payload.path("count").asInt() < 0)) {
            throw new IllegalArgumentException("count: must be a whole number from 0");
        }
        if (payload.has("payload") && !payload.path("payload").isObject()) {
            throw new IllegalArgumentException("payload: must be an object");
        }
    }

    @Override
    public JsonNode handle(JobContext context) throws JobFailure {
        if (context.stepId() == null) {
            throw JobFailure.permanent("not_a_step", "A fanout job runs only as a step of a workflow");
        }
        JsonNode payload = context.payload();
        String type = payload.path("type").asString();
        int count = payload.has("payloads") ? payload.path("payloads").size() : payload.path("count").asInt();
        int added = 0;
        for (int from = 0; from < count; from += CHUNK) {
            List<JobRequest> children = new ArrayList<>(Math.min(CHUNK, count - from));
            for (int i = from; i < Math.min(count, from + CHUNK); i++) {
                children.add(JobRequest.of(type, child(payload, i)));
            }
            added += context.addChildren(children);
        }
        return JsonNodeFactory.instance.objectNode().put("children", count).put("added", added);
    }

    private static JsonNode child(JsonNode payload, int index) {
        if (payload.has("payloads")) {
            return payload.path("payloads").get(index);
        }
        ObjectNode child = payload.has("payload") ? ((ObjectNode) payload.path("payload")).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        return child.put("index", index);
    }
}
