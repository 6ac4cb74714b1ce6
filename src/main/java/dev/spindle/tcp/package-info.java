/**
 * The TCP listener that speaks RESP2 (the Redis protocol, inline commands too): PING, SUBMIT, GET,
 * WAIT, CANCEL, STATS and QUIT, each through {@link dev.spindle.job.JobService}.
 */
@NullMarked
package dev.spindle.tcp;

import org.jspecify.annotations.NullMarked;
