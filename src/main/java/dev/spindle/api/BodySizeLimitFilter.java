package dev.spindle.api;

import java.io.IOException;
import java.time.Duration;

import dev.spindle.config.ApiProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refuses API request bodies over {@code spindle.api.max-body-size} with 413: at once when
 * Content-Length says so, and while reading when a chunked body grows past it. A body still
 * arriving {@code spindle.api.body-timeout} after the request reached the API gets 408: Tomcat's
 * connection-timeout bounds each read, which a body trickled a byte a second never trips.
 */
@Component
class BodySizeLimitFilter extends OncePerRequestFilter {

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
        if (request.getContentLengthLong() > limit) {
            response.setHeader("Connection", "close");
            ProblemResponses.write(json, response, HttpStatus.CONTENT_TOO_LARGE, "Content Too Large",
                    new PayloadTooLargeException(limit).getMessage());
            return;
        }
        long deadline = timeout.isPositive() ? System.nanoTime() + timeout.toNanos() : 0;
        chain.doFilter(new LimitedRequest(request, limit, timeout, deadline), response);
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {

        private final long limit;

        private final Duration timeout;

        private final long deadline;

        private ServletInputStream stream;

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
