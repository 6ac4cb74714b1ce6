package dev.spindle.tcp;

import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.spindle.config.TcpProperties;
import dev.spindle.tcp.RespReader.OverBudgetException;
import dev.spindle.tcp.RespReader.ProtocolException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, served by its own virtual thread: read a command, run it, reply. Replies
 * to pipelined commands go out together once no further command is buffered.
 *
 * <p>A stop closes a connection that waits for its next command at once, and lets one that runs a
 * command finish it and send the reply first.
 */
final class RespConnection implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(RespConnection.class);

    /** Small: most commands are short, and thousands of idle connections each hold one. */
    private static final int READ_BUFFER = 4096;

    /** Send what has piled up once it is this large, even while more commands are buffered. */
    private static final int FLUSH_AT = 64 * 1024;

    /** After a protocol error, read away at most this much of the client's input, for at most this long. */
    private static final long DISCARD_LIMIT = 64 * 1024;

    private static final int DISCARD_WAIT_MILLIS = 200;

    private enum State { IDLE, BUSY, CLOSED }

    private final Socket socket;

    private final RespCommands commands;

    private final TcpProperties limits;

    private final TcpMetrics metrics;

    private final RespBudget budget;

    private final Runnable onClose;

    private final String client;

    private final RespSession session;

    private final AtomicReference<State> state = new AtomicReference<>(State.IDLE);

    private final AtomicBoolean closed = new AtomicBoolean();

    private final long created = System.nanoTime();

    private volatile boolean stopping;

    private volatile @Nullable RespReader reader;

    RespConnection(Socket socket, RespCommands commands, TcpProperties limits, TcpMetrics metrics, RespBudget budget,
            Runnable onClose) {
        this.socket = socket;
        this.commands = commands;
        this.limits = limits;
        this.metrics = metrics;
        this.budget = budget;
        this.onClose = onClose;
        this.session = new RespSession(socket.getInetAddress().getHostAddress());
        this.client = "addr:" + session.address();
    }

    @Override
    public void run() {
        try {
            serve();
        }
        catch (IOException ex) {
            // the client went away, perhaps mid-command: nothing was run for a half-read command
            log.debug("RESP connection from {} ended: {}", client, ex.toString());
        }
        finally {
            RespReader current = reader;
            if (current != null) {
                current.release();
            }
            close();
        }
    }

    private void serve() throws IOException {
        RespWriter writer = new RespWriter(socket.getOutputStream());
        // protected mode tells a client it does not serve at once, as Redis does on accept: no byte
        // of its input is parsed, and it does not hold a connection until the idle timeout
        if (commands.denied(session, writer)) {
            writer.flush();
            discardInput();
            return;
        }
        RespReader reader = new RespReader(socket.getInputStream(), READ_BUFFER, (int) limits.maxInlineLength().toBytes(),
                (int) limits.maxBulkLength().toBytes(), limits.maxArguments(), budget);
        this.reader = reader;
        while (true) {
            List<byte[]> command;
            try {
                command = reader.next();
            }
            catch (ProtocolException ex) {
                metrics.error("protocol");
                writer.error("ERR Protocol error: " + ex.getMessage());
                writer.flush();
                discardInput();
                return;
            }
            catch (OverBudgetException ex) {
                metrics.error("busy");
                log.debug("Closing RESP connection from {}: {}", client, ex.getMessage());
                reader.release();
                writer.error("BUSY " + ex.getMessage());
                writer.flush();
                discardInput();
                return;
            }
            if (command == null || !state.compareAndSet(State.IDLE, State.BUSY)) {
                writer.flush();
                return;
            }
            boolean open = commands.execute(command, writer, session);
            if (!open || stopping || !reader.hasBuffered() || writer.size() >= FLUSH_AT) {
                writer.flush();
            }
            if (!open || !state.compareAndSet(State.BUSY, State.IDLE)) {
                writer.flush();
                return;
            }
        }
    }

    /**
     * Closes the connection if it waits for (the rest of) a command and either nothing arrived since
     * {@code idleSince}, or the command being read began before {@code commandSince} (both
     * {@link System#nanoTime()}; null: that check is off). A command in hand (a long WAIT) is neither.
     *
     * @return whether it was closed
     */
    boolean closeIfStalled(@Nullable Long idleSince, @Nullable Long commandSince) {
        RespReader current = reader;
        long last = current == null ? created : current.lastRead();
        boolean idle = idleSince != null && last - idleSince < 0;
        boolean slow = commandSince != null && current != null && current.readingSince(commandSince);
        if ((idle || slow) && state.compareAndSet(State.IDLE, State.CLOSED)) {
            log.debug("Closing RESP connection from {}: {}", client, idle ? "idle" : "command not received within the command timeout");
            close();
            return true;
        }
        return false;
    }

    /**
     * After a protocol error: end our side (FIN after the reply) and read away a little of what the
     * client still sends, since closing with unread input resets the connection, and a reset can
     * make the client lose the error reply before it reads it.
     */
    private void discardInput() {
        try {
            socket.shutdownOutput();
            socket.setSoTimeout(DISCARD_WAIT_MILLIS);
            byte[] sink = new byte[4096];
            long left = DISCARD_LIMIT;
            int n;
            while (left > 0 && (n = socket.getInputStream().read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
                left -= n;
            }
        }
        catch (IOException ex) {
            // the client is gone or keeps sending: the close below ends it
        }
    }

    /** Asks the connection to end: at once when it waits for a command, after its reply when it runs one. */
    void stop() {
        stopping = true;
        if (state.compareAndSet(State.IDLE, State.CLOSED)) {
            close();
        }
        else {
            state.compareAndSet(State.BUSY, State.CLOSED);
        }
    }

    /** Closes the socket whatever the connection is doing. */
    void close() {
        state.set(State.CLOSED);
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            socket.close();
        }
        catch (IOException ex) {
            log.debug("Closing a RESP connection failed", ex);
        }
        onClose.run();
    }
}
