/**
 * The {@code files} job type: checksums, line counts and greps over a configured directory root,
 * read concurrently on virtual threads, each file's result an NDJSON line of the job's output.
 */
@NullMarked
package dev.spindle.files;

import org.jspecify.annotations.NullMarked;
