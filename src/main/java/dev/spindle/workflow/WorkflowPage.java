package dev.spindle.workflow;

import java.util.List;

import org.jspecify.annotations.Nullable;

/** One page of a listing; {@code next} is the cursor for the following page, null on the last. */
public record WorkflowPage(List<Workflow> items, @Nullable String next) {
}
