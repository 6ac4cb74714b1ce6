package dev.spindle.api;

import java.net.SocketTimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.SocketEvent;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tomcat's NIO HTTP/1.1 protocol with a deadline for the request line and headers: a connection
 * that began a request more than {@code headerTimeout} milliseconds ago and has not delivered all
 * its headers is closed.
 *
 * <p>Tomcat's own {@code connectionTimeout} bounds each read, not the request: a client that sends
 * a header byte a second keeps its connection (and a {@code max-connections} slot) for as long as
 * it likes. While headers are incomplete Tomcat parks the request's processor on the connection,
 * with the time its first byte came ({@code markStartTime}); a sweeper a few times per deadline
 * closes those that are too old, through the same error path as Tomcat's read timeout.
 *
 * <p>While the connector holds nine tenths of its {@code maxConnections}, the deadline is the
 * shorter {@code crowdedHeaderTimeout}: a client that sends its request at once is never touched,
 * and the places tricklers held go to the connections waiting in the accept queue.
 * Public only because Tomcat instantiates the protocol by class name.
 */
public class HeaderDeadlineProtocol extends Http11NioProtocol {

    private static final Logger log = LoggerFactory.getLogger(HeaderDeadlineProtocol.class);

    private volatile long headerTimeout = 10_000;

    private volatile long crowdedHeaderTimeout = 1_000;

    private volatile @Nullable ScheduledExecutorService sweeper;

    /** Milliseconds from a request's first byte to its last header; 0 or less: no deadline. */
    public long getHeaderTimeout() {
        return headerTimeout;
    }

    public void setHeaderTimeout(long headerTimeout) {
        this.headerTimeout = headerTimeout;
    }

    /** Milliseconds allowed instead while the connector is nearly full; at most the header timeout. */
    public long getCrowdedHeaderTimeout() {
        return crowdedHeaderTimeout;
    }

    public void setCrowdedHeaderTimeout(long crowdedHeaderTimeout) {
        this.crowdedHeaderTimeout = crowdedHeaderTimeout;
    }

    @Override
    public void start() throws Exception {
        super.start();
        long timeout = headerTimeout;
        if (timeout > 0) {
            ScheduledExecutorService sweep = Executors
                .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-http-header-deadline").daemon().factory());
            long every = Math.max(10, Math.min(250, Math.min(timeout, crowdedHeaderTimeout) / 4));
            sweep.scheduleWithFixedDelay(this::closeLateRequests, every, every, TimeUnit.MILLISECONDS);
            sweeper = sweep;
        }
    }

    @Override
    public void pause() throws Exception {
        stopSweeper();
        super.pause();
    }

    @Override
    public void stop() throws Exception {
        stopSweeper();
        super.stop();
    }

    private void stopSweeper() {
        ScheduledExecutorService sweep = sweeper;
        if (sweep != null) {
            sweep.shutdownNow();
            sweeper = null;
        }
    }

    private void closeLateRequests() {
        try {
            long max = getMaxConnections();
            boolean crowded = max > 0 && getEndpoint().getConnectionCount() * 10 >= max * 9;
            long timeout = crowded ? Math.min(headerTimeout, crowdedHeaderTimeout) : headerTimeout;
            long startedBefore = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(timeout);
            for (SocketWrapperBase<NioChannel> connection : getEndpoint().getConnections()) {
                // a processor parked on the connection, not async: a request whose headers are still coming
                if (connection.getCurrentProcessor() instanceof Http11Processor processor && !processor.isAsync()) {
                    long started = processor.getRequest().getStartTimeNanos();
                    if (started != -1 && started - startedBefore < 0) {
                        close(connection, timeout);
                    }
                }
            }
        }
        catch (RuntimeException ex) {
            // never let one bad pass end the sweeping
            log.warn("Closing HTTP connections past their header deadline failed", ex);
        }
    }

    private void close(SocketWrapperBase<NioChannel> connection, long timeout) {
        log.debug("Closing HTTP connection from {}: headers not received within {} ms", connection.getRemoteAddr(), timeout);
        connection.setError(new SocketTimeoutException("request headers not received within " + timeout + " ms"));
        if (!getEndpoint().processSocket(connection, SocketEvent.ERROR, true)) {
            connection.close();
        }
    }
}
