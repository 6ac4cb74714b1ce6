package dev.spindle.output;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import dev.spindle.job.JobContext;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Keeps what a job logs on its thread (the lines that carry its id in the MDC) in its log stream,
 * bounded by {@code spindle.output.max-log-size}. Unsynchronized (no lock over every logging call
 * in the JVM) and never writing to the store itself: a line goes into the attempt's log buffer, which
 * the flusher and the end of the attempt store. Attached to Logback's root logger; attached (and
 * started) again when an attempt starts if a logging reset (another application context starting
 * in the same JVM) removed it.
 */
@Component
class JobLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> implements DisposableBean {

    /**
     * Apache HttpClient's header and wire logs (at DEBUG, as someone debugging a downstream turns
     * them on) print every request header, a downstream's configured credentials included: they
     * stay in the server's own log and out of job logs, which any client with the read role reads.
     */
    private static final String[] SECRET_BEARING = { "org.apache.hc.client5.http.headers", "org.apache.hc.client5.http.wire" };

    private final JobStreams streams;

    private final PatternLayout layout = new PatternLayout();

    JobLogAppender(JobStreams streams) {
        this.streams = streams;
        setName("spindle-job-log");
        LoggerContext context = context();
        if (context != null) {
            setContext(context);
            layout.setContext(context);
            layout.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level %logger{40} - %msg%n%ex{5}");
            layout.start();
            start();
            streams.onOpen(this::attach);
            attach();
        }
    }

    private static LoggerContext context() {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext context ? context : null;
    }

    private void attach() {
        LoggerContext context = context();
        if (context != null) {
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            if (!isStarted()) {
                start();
            }
            if (!root.isAttached(this)) {
                root.addAppender(this);
            }
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        String jobId = event.getMDCPropertyMap().get(JobContext.MDC_JOB_ID);
        if (jobId != null && !secretBearing(event.getLoggerName())) {
            streams.log(jobId, layout.doLayout(event));
        }
    }

    private static boolean secretBearing(String logger) {
        for (String name : SECRET_BEARING) {
            if (logger.startsWith(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void destroy() {
        LoggerContext context = context();
        if (context != null) {
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(this);
        }
        stop();
    }
}
