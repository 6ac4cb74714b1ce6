package dev.spindle.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.spindle.output.JobOutputs;
import dev.spindle.output.JobOutputs.Opened;
import dev.spindle.store.OutputStore.Stream;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A job's output and log, streamed from the store as they are read (never held whole): with
 * {@code Content-Length} once the job has ended, a single byte {@code Range}, or
 * {@code ?follow=true} to stay open and stream new chunks until the attempt ends.
 */
@RestController
@RequestMapping("/api/v1/jobs/{id}")
class JobOutputController {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final JobOutputs outputs;

    JobOutputController(JobOutputs outputs) {
        this.outputs = outputs;
    }

    @GetMapping("/output")
    void output(@PathVariable String id, @RequestParam(defaultValue = "false") boolean follow,
            @RequestHeader(name = HttpHeaders.RANGE, required = false) @Nullable String range,
            HttpServletResponse response) throws IOException {
        serve(outputs.open(id, Stream.OUTPUT), follow, range, response);
    }

    @GetMapping("/log")
    void log(@PathVariable String id, @RequestParam(defaultValue = "false") boolean follow,
            @RequestHeader(name = HttpHeaders.RANGE, required = false) @Nullable String range,
            HttpServletResponse response) throws IOException {
        serve(outputs.open(id, Stream.LOG), follow, range, response);
    }

    private void serve(Opened opened, boolean follow, @Nullable String range, HttpServletResponse response)
            throws IOException {
        long size = opened.size();
        long from = 0;
        long to = Long.MAX_VALUE;
        response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
        // a header that is no single byte range (another unit, several ranges) is ignored, as RFC 9110 lets a server do
        if (range != null && !follow && RANGE.matcher(range.strip()).matches()) {
            long[] bounds = bounds(range, size);
            if (bounds == null) {
                response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
                throw new RangeNotSatisfiableException("Range '" + abbreviate(range) + "' is not within the " + size
                        + " bytes there are (give bytes=first-last, bytes=first- or bytes=-suffix)");
            }
            response.setContentType(opened.contentType());
            from = bounds[0];
            to = bounds[1] + 1;
            response.setStatus(HttpStatus.PARTIAL_CONTENT.value());
            response.setHeader(HttpHeaders.CONTENT_RANGE,
                    "bytes " + from + "-" + bounds[1] + "/" + (opened.complete() ? Long.toString(size) : "*"));
            response.setContentLengthLong(to - from);
        }
        else {
            response.setContentType(opened.contentType());
            if (opened.complete()) {
                response.setContentLengthLong(size);
            }
        }
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        OutputStream out = response.getOutputStream();
        outputs.copy(opened, from, to, follow, out);
        out.flush();
    }

    /** {@code [first, last]} of a single range within {@code size} bytes, or null when there is none. */
    static long @Nullable [] bounds(String range, long size) {
        Matcher matcher = RANGE.matcher(range.strip());
        if (!matcher.matches() || size == 0) {
            return null;
        }
        String first = matcher.group(1);
        String last = matcher.group(2);
        try {
            if (first.isEmpty()) {
                long suffix = Long.parseLong(last);
                return suffix == 0 ? null : new long[] { Math.max(0, size - suffix), size - 1 };
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            return start >= size || end < start ? null : new long[] { start, end };
        }
        catch (NumberFormatException ex) {
            return null;
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "…";
    }

    /** 416, answered as problem+json with the stream's size in {@code Content-Range}. */
    static final class RangeNotSatisfiableException extends RuntimeException {

        RangeNotSatisfiableException(String message) {
            super(message);
        }
    }
}
