package dev.spindle.job;

import java.io.IOException;
import java.io.OutputStream;

import tools.jackson.databind.JsonNode;

/**
 * What a job writes as it runs: bytes, or NDJSON lines. It is buffered and stored in chunks as it
 * goes (a chunk when the buffer is full, or has waited {@code spindle.output.flush-interval}), so
 * any node serves it, {@code GET /api/v1/jobs/{id}/output?follow=true} tails it, and the handler
 * never holds it in memory. What is still buffered is stored when the attempt ends, before its
 * outcome. A write past {@code spindle.output.max-size} throws {@link OutputTooLargeException} and
 * the job fails with {@code output_too_large}, whatever the handler does with the exception.
 */
public abstract class JobOutput extends OutputStream {

    /** Writes {@code value} as one line of JSON and a newline. */
    public abstract void line(JsonNode value) throws IOException;

    /** Bytes written so far. */
    public abstract long size();

    /** The output is stored as it goes; closing it early is not for the handler. */
    @Override
    public void close() {
    }

    /** A write past {@code spindle.output.max-size}. */
    public static class OutputTooLargeException extends IOException {

        public OutputTooLargeException(String message) {
            super(message);
        }
    }
}
