package dev.spindle.store;

import java.util.List;

import dev.spindle.job.Job;
import org.jspecify.annotations.Nullable;

/** One page of a listing; {@code next} is the cursor for the following page, null on the last. */
public record JobPage(List<Job> items, @Nullable String next) {
}
