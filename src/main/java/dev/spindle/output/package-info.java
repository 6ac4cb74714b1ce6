/**
 * Job output and log streams: the chunked writer each attempt gets, the appender that keeps what a
 * job logs on its thread, and the reader that serves them (whole, by range, or followed).
 */
@NullMarked
package dev.spindle.output;

import org.jspecify.annotations.NullMarked;
