package dev.spindle.api;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

import dev.spindle.config.ApiProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refuses API request bodies over {@code spindle.api.max-body-size} with 413: at once when
 * Content-Length says so, and while reading when a chunked body grows past it. A body still
 * arriving {@code spindle.api.body-timeout} after the request reached the API gets 408: Tomcat's
 * connection-timeout bounds each read, which a body trickled a byte a second never trips.
 *
 * <p>After a 413 the rest of the body is read and dropped (a lingering close, RFC 9112 §9.6) until
 * the body deadline or {@link #MAX_DRAIN} bytes: closing with the body unread resets the
 * connection, and a client still sending would see the reset instead of the answer. A 408's body
 * is not drained; its client is the slow one.
 */
@Component
class BodySizeLimitFilter extends OncePerRequestFilter {

    /** The most of a refused body read before the connection is closed anyway. */
    static final long MAX_DRAIN = 64L * 1024 * 1024;

    private final long limit;

    private final Duration timeout;

    private final JsonMapper json;

    BodySizeLimitFilter(ApiProperties properties, JsonMapper json) {
        this.limit = properties.maxBodySize().toBytes();
        this.timeout = properties.bodyTimeout();
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // the servlet path, decoded and normalised by the container: the raw URI of /%61pi/v1/jobs would slip past
        return !request.getServletPath().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long deadline = timeout.isPositive() ? System.nanoTime() + timeout.toNanos() : 0;
        if (request.getContentLengthLong() > limit) {
            response.setHeader("Connection", "close");
            ProblemResponses.write(json, response, HttpStatus.CONTENT_TOO_LARGE, "Content Too Large",
                    new PayloadTooLargeException(limit).getMessage());
            drain(request.getInputStream(), response, deadline);
            return;
        }
        LimitedRequest limited = new LimitedRequest(request, limit, timeout, deadline);
        chain.doFilter(limited, response);
        if (limited.stream != null && limited.stream.tooLarge) {
            drain(request.getInputStream(), response, deadline);
        }
    }

    /** Sends the answer, then reads and drops what the client still sends, within the deadline and {@link #MAX_DRAIN}. */
    private static void drain(InputStream body, HttpServletResponse response, long deadline) {
        byte[] buffer = new byte[16 * 1024];
        long drained = 0;
        try {
            response.flushBuffer();
            int n;
            while (drained < MAX_DRAIN && (deadline == 0 || System.nanoTime() - deadline < 0)
                    && (n = body.read(buffer)) >= 0) {
                drained += n;
            }
        }
        catch (IOException ex) {
            // the client went away or stopped sending: the connection closes either way
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {

        private final long limit;

        private final Duration timeout;

        private final long deadline;

        private @Nullable LimitedInputStream stream;

        LimitedRequest(HttpServletRequest request, long limit, Duration timeout, long deadline) {
            super(request);
            this.limit = limit;
            this.timeout = timeout;
            this.deadline = deadline;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new LimitedInputStream(super.getInputStream(), limit, timeout, deadline);
            }
            return stream;
        }
    }

    private static final class LimitedInputStream extends ServletInputStream {

        private final ServletInputStream delegate;

        private final long limit;

        private final Duration timeout;

        /** {@link System#nanoTime()} by which the body must have arrived; with a zero timeout, none. */
        private final long deadline;

        private long count;

        /** The body went past the limit: what is left of it is drained after the answer. */
        private boolean tooLarge;

        LimitedInputStream(ServletInputStream delegate, long limit, Duration timeout, long deadline) {
            this.delegate = delegate;
            this.limit = limit;
            this.timeout = timeout;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            int b = delegate.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = delegate.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        /** After each read: a read itself waits at most Tomcat's connection-timeout. */
        private void count(int n) {
            count += n;
            if (count > limit) {
                tooLarge = true;
                throw new PayloadTooLargeException(limit);
            }
            if (timeout.isPositive() && System.nanoTime() - deadline > 0 && !delegate.isFinished()) {
                throw new BodyTimeoutException(timeout);
            }
        }

        @Override
        public boolean isFinished() {
            return delegate.isFinished();
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            delegate.setReadListener(listener);
        }
    }
}
