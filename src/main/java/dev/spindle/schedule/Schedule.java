package dev.spindle.schedule;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A schedule as the store keeps it.
 *
 * @param revision changes whenever the definition does
 * @param nextFireAt the earliest fire time not yet fired; null when the expression matches no later time
 * @param lastFireAt the fire time (or trigger time) of the last job submitted
 * @param lastJobId that job: the previous run the overlap policy looks at
 * @param submittedBy the authenticated caller that last defined it (created or replaced it over the
 *        API); null when that call was not authenticated, and for a schedule from configuration. The
 *        jobs it fires (and a trigger submits) carry it
 */
public record Schedule(
        String name,
        ScheduleDefinition definition,
        ScheduleSource source,
        boolean paused,
        long revision,
        @Nullable Instant nextFireAt,
        @Nullable Instant lastFireAt,
        @Nullable String lastJobId,
        ScheduleCounts counts,
        Instant createdAt,
        Instant updatedAt,
        @Nullable String submittedBy) {
}
