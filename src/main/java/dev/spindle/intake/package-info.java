/** Per-client intake rate limits, shared by every transport that accepts jobs (REST, RESP). */
@NullMarked
package dev.spindle.intake;

import org.jspecify.annotations.NullMarked;
