package dev.spindle.workflow;

import org.jspecify.annotations.Nullable;

/**
 * A keyset page of workflows, newest first.
 *
 * @param after the id the previous page ended with; this page starts after it
 */
public record WorkflowQuery(@Nullable WorkflowState state, @Nullable String name, int limit, @Nullable String after) {
}
