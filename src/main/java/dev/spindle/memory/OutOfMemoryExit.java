package dev.spindle.memory;

import java.lang.management.ManagementFactory;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the process on an {@link OutOfMemoryError} that no code catches, so that a platform
 * restarts it instead of keeping a JVM whose accept, dispatch or request threads died.
 *
 * <p>The JVM's own {@code -XX:+ExitOnOutOfMemoryError} (set by the container entrypoint) is the
 * complete answer: it exits at the first one, caught or not. A jar's manifest cannot set JVM flags,
 * and the flag cannot be set at run time (it is not a manageable flag), so for {@code java -jar}
 * without it this handler is the backstop: a thread killed by an OutOfMemoryError halts the JVM
 * with exit code 3, as the flag does. One that a framework catches (a request, a job handler) is
 * only covered by the flag; the start warns when it is missing.
 */
public final class OutOfMemoryExit {

    /** The exit code of {@code -XX:+ExitOnOutOfMemoryError}, and of this handler. */
    public static final int EXIT_CODE = 3;

    private static final Logger log = LoggerFactory.getLogger(OutOfMemoryExit.class);

    private static final String FLAG = "ExitOnOutOfMemoryError";

    private OutOfMemoryExit() {
    }

    /** Installs the handler for threads without one of their own; warns when the JVM flag is not set. */
    public static void install() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> {
            haltIfOutOfMemory(ex);
            if (previous != null) {
                previous.uncaughtException(thread, ex);
            }
            else {
                thread.getThreadGroup().uncaughtException(thread, ex);
            }
        });
        if (!flagSet()) {
            log.warn("The JVM runs without -XX:+{}: an OutOfMemoryError that kills a thread ends the process "
                    + "(exit code {}), but one caught inside a request or a job does not; add the flag to the java "
                    + "command (the container image sets it)", FLAG, EXIT_CODE);
        }
    }

    /** Halts the JVM (no shutdown hooks: they may need the memory that ran out) when {@code ex} is one. */
    public static void haltIfOutOfMemory(Throwable ex) {
        if (ex instanceof OutOfMemoryError) {
            try {
                System.err.println("Terminating due to java.lang.OutOfMemoryError: " + ex.getMessage());
            }
            finally {
                Runtime.getRuntime().halt(EXIT_CODE);
            }
        }
    }

    private static boolean flagSet() {
        try {
            return Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption(FLAG).getValue());
        }
        catch (RuntimeException ex) {
            return false;
        }
    }
}
