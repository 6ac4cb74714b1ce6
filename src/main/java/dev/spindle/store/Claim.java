package dev.spindle.store;

import java.time.Instant;

/**
 * A claim of up to {@code max} jobs due at {@code now}, under {@code lease}, made as one step of a
 * larger write (the completions that freed the slots it fills).
 */
public record Claim(int max, Lease lease, Instant now) {
}
