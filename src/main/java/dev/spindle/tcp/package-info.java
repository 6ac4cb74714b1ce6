/**
 * The TCP listener that speaks RESP2 (the Redis protocol, inline commands too): AUTH, then the
 * job, workflow, schedule and output commands, each through its service ({@link dev.spindle.job.JobService}
 * and the rest), as the caller the connection authenticated as.
 */
@NullMarked
package dev.spindle.tcp;

import org.jspecify.annotations.NullMarked;
