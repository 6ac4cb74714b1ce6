package dev.spindle.queue;

import dev.spindle.config.QueueProperties.Queue;
import org.jspecify.annotations.Nullable;

/**
 * A queue as the API shows it: its counts on every node, whether it is paused, and the limits and
 * weight this node applies to it.
 *
 * @param configured whether {@code spindle.queues.<name>} names it (else: no limits, weight 1)
 */
public record QueueView(String name, boolean paused, boolean configured, long queued, long due, long running,
        long waiting, long heldBack, Limits limits) {

    /** A queue's limits ({@code null}: none) and weight. */
    public record Limits(@Nullable Integer maxRunning, @Nullable Integer maxRunningPerNode,
            @Nullable Integer maxRunningPerKey, int weight) {

        static Limits of(Queue queue) {
            return new Limits(queue.maxRunning(), queue.maxRunningPerNode(), queue.maxRunningPerKey(), queue.weight());
        }
    }

    static QueueView of(QueueCounts counts, boolean configured, Queue queue) {
        return new QueueView(counts.name(), counts.paused(), configured, counts.queued(), counts.due(), counts.running(),
                counts.waiting(), counts.heldBack(), Limits.of(queue));
    }
}
