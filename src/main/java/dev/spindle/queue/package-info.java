/** Named queues: their limits, weights and pause switch, counts per queue, and their metrics. */
@NullMarked
package dev.spindle.queue;

import org.jspecify.annotations.NullMarked;
