/**
 * The memory monitor: the JDK's own signals (collection-usage thresholds on the tenured heap pools,
 * GC notifications) decide memory pressure, which refuses new jobs and takes the node out of
 * readiness until it clears; {@code /actuator/memory} shows heap, GC and recent samples.
 */
@NullMarked
package dev.spindle.memory;

import org.jspecify.annotations.NullMarked;
