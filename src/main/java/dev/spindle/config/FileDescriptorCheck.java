package dev.spindle.config;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

import com.sun.management.UnixOperatingSystemMXBean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Warns at start when the open-file limit is below what the connection caps allow: past it a
 * flood fails accepts (and file and database opens) instead of meeting the caps, which then never
 * act, and the ports that should keep answering (the management port's probes) cannot.
 */
@Component
class FileDescriptorCheck {

    private static final Logger log = LoggerFactory.getLogger(FileDescriptorCheck.class);

    /** Database connections, the store's files, jars, the management port's connections. */
    static final long HEADROOM = 512;

    private final TcpProperties tcp;

    private final Environment environment;

    FileDescriptorCheck(TcpProperties tcp, Environment environment) {
        this.tcp = tcp;
        this.environment = environment;
    }

    @EventListener(ApplicationReadyEvent.class)
    void check() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof UnixOperatingSystemMXBean unix)) {
            return;
        }
        long http = environment.getProperty("server.tomcat.max-connections", Long.class, 8192L);
        String warning = warning(unix.getMaxFileDescriptorCount(), http, tcp.enabled() ? tcp.maxConnections() : 0);
        if (warning != null) {
            log.warn(warning);
        }
    }

    /** What to warn about, or null when {@code limit} covers both caps and the headroom. */
    static @Nullable String warning(long limit, long http, long resp) {
        long needed = http + resp + HEADROOM;
        if (limit >= needed) {
            return null;
        }
        return "The open-file limit is " + limit + ", below the " + needed + " that server.tomcat.max-connections ("
                + http + ") + spindle.tcp.max-connections (" + resp + ") + " + HEADROOM
                + " need: raise it (ulimit -n) or lower the caps, or a connection flood exhausts descriptors before the caps act";
    }
}
