/**
 * Calls to named downstream services: the {@code http} job type, a pooled Apache HttpClient per
 * downstream, and the Resilience4j instances of the same name that guard it. Guards that refuse a
 * call (open breaker, full bulkhead, rate limit) defer the job instead of failing an attempt.
 */
@NullMarked
package dev.spindle.downstream;

import org.jspecify.annotations.NullMarked;
