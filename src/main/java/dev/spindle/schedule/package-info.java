/**
 * Cron schedules kept in the store: their fire times (DST resolved), the ticker every node runs, the
 * misfire and overlap policies, and the schedules' API and metrics.
 */
@NullMarked
package dev.spindle.schedule;

import org.jspecify.annotations.NullMarked;
