package dev.spindle.workflow;

import java.util.List;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.stereotype.Component;

/**
 * {@code collect}: a workflow step that joins the children of the step {@code payload.of} (which it
 * depends on): its result counts them and how many succeeded, and with {@code payload.results}
 * lists their results in the order they were added.
 */
@Component
class CollectJobHandler implements JobHandler {

    @Override
    public String type() {
        return "collect";
    }

    @Override
    public String description() {
        return "Workflow step: counts (and with payload.results lists) the results of the children of step payload.of.";
    }

    @Override
    public void validate(JsonNode payload) {
        if (!payload.path("of").isString()) {
            throw new IllegalArgumentException("of: the id of the step whose children to collect is required");
        }
    }

    @Override
    public JsonNode handle(JobContext context) throws JobFailure {
        if (context.stepId() == null) {
            throw JobFailure.permanent("not_a_step", "A collect job runs only as a step of a workflow");
        }
        List<JsonNode> children = context.childResults(context.payload().path("of").asString());
        int succeeded = 0;
        ArrayNode results = JsonNodeFactory.instance.arrayNode();
        for (JsonNode child : children) {
            succeeded += child.isNull() ? 0 : 1;
            results.add(child);
        }
        ObjectNode result = JsonNodeFactory.instance.objectNode().put("count", children.size())
            .put("succeeded", succeeded);
        if (context.payload().path("results").asBoolean(false)) {
            result.set("results", results);
        }
        return result;
    }
}
