package dev.spindle.schedule;

/**
 * What a schedule has done, across every node.
 *
 * @param fires jobs submitted for fire times (on time, or caught up under the misfire policy)
 * @param triggers jobs submitted by a trigger now
 * @param misfiresSkipped fire times missed while no node ran, left out under the misfire policy
 * @param overlapsSkipped fire times left out because the previous run had not finished
 * @param previousCancelled previous runs cancelled for a new one ({@code cancel_previous})
 */
public record ScheduleCounts(long fires, long triggers, long misfiresSkipped, long overlapsSkipped,
        long previousCancelled) {

    public static final ScheduleCounts NONE = new ScheduleCounts(0, 0, 0, 0, 0);
}
