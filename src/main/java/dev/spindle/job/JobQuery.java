package dev.spindle.job;

import org.jspecify.annotations.Nullable;

/**
 * A keyset page of jobs, newest first.
 *
 * @param after the id the previous page ended with; this page starts after it
 */
public record JobQuery(@Nullable JobState state, @Nullable String type, int limit, @Nullable String after) {
}
