package dev.spindle.store;

/** How far a running attempt has come, recorded under the attempt's fencing token. */
public record Progress(String id, long fencingToken, double fraction) {
}
