package dev.spindle.store;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What one fire of a schedule writes, applied only if the schedule is as the fire was planned from.
 * The store counts the jobs it inserts as the schedule's fires (or, for a trigger, its triggers).
 *
 * @param revision the definition's revision the fire was planned from
 * @param due the fire time the schedule was due at (its {@code next_fire_at}); null for a trigger,
 *        which neither checks nor moves it
 * @param next the new next fire time (null: none); ignored for a trigger
 * @param jobs the jobs to insert: one whose idempotency key is taken already is left out, and the
 *        job holding that key counts as the schedule's last
 * @param previousCancelled 1 when the fire cancels the previous run, else 0
 */
public record ScheduleFire(String name, long revision, @Nullable Instant due, @Nullable Instant next,
        List<NewJob> jobs, long misfiresSkipped, long overlapsSkipped, long previousCancelled, Instant now) {
}
