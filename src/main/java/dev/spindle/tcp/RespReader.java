package dev.spindle.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Reads commands in RESP2 (an array of bulk strings, as Redis clients send them) or inline (a line
 * of words, as {@code nc} and {@code redis-cli} in a pipe send them), within limits that keep a
 * client from making the server buffer without bound.
 *
 * <p>Inline lines split on whitespace with Redis's quoting ({@code "a b"}, {@code 'a b'}, backslash
 * escapes in double quotes); when the text after the command name starts with '{', that text is
 * one argument as it stands, so {@code SUBMIT {"type": "noop"}} works unquoted.
 *
 * <p>It keeps its own small buffer rather than a {@code BufferedInputStream}, so that asking
 * whether a pipelined command is already buffered costs no system call. What a command needs beyond
 * that buffer (its bulk arguments, a line that crosses a refill) grows with the bytes that actually
 * arrive, never with the length a header declares, and is charged to the listener-wide
 * {@link RespBudget} until the next command is asked for (or {@link #release()}).
 */
final class RespReader {

    /** A framing error: the client gets one RESP error and the connection is closed. */
    static final class ProtocolException extends IOException {

        ProtocolException(String message) {
            super(message);
        }
    }

    /** The command would take the listener over its buffer budget: the client gets {@code -BUSY} and a close. */
    static final class OverBudgetException extends IOException {

        OverBudgetException(String message) {
            super(message);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private final InputStream in;

    private final byte[] buffer;

    private int position;

    private int limit;

    /** When data last arrived ({@link System#nanoTime()}), for the idle timeout. */
    private volatile long lastRead = System.nanoTime();

    /** When the command being read began to arrive ({@link System#nanoTime()}); meaningful while {@link #reading}. */
    private volatile long commandStarted;

    /** Whether part of a command has arrived and the rest has not. */
    private volatile boolean reading;

    /** A line that does not fit in what is buffered is gathered here (grown up to the line limit; charged). */
    private byte[] scratch = EMPTY;

    private final int maxLine;

    private final int maxBulk;

    private final int maxArguments;

    private final RespBudget budget;

    /** Bytes this reader has charged to the budget for the command in hand. */
    private long held;

    RespReader(InputStream in, int bufferSize, int maxLine, int maxBulk, int maxArguments, RespBudget budget) {
        this.in = in;
        this.buffer = new byte[bufferSize];
        this.maxLine = maxLine;
        this.maxBulk = maxBulk;
        this.maxArguments = maxArguments;
        this.budget = budget;
    }

    /**
     * The next command's arguments (at least one), or null when the client closed the connection
     * between commands. The previous command's arguments are released to the budget first, so they
     * must not be used after this call.
     */
    @Nullable List<byte[]> next() throws IOException {
        release();
        while (true) {
            if (position == limit && !fill()) {
                return null;
            }
            commandStarted = lastRead;
            reading = true;
            int first = buffer[position++];
            List<byte[]> command = first == '*' ? multibulk() : inline();
            reading = false;
            if (!command.isEmpty()) {
                return command;
            }
        }
    }

    /** Gives back what the command in hand charged to the budget; call it when the connection ends too. */
    void release() {
        if (held > 0) {
            budget.release(held);
            held = 0;
            scratch = EMPTY;
        }
    }

    /** When data last arrived from the client ({@link System#nanoTime()}). */
    long lastRead() {
        return lastRead;
    }

    /**
     * Whether a command began to arrive before {@code since} ({@link System#nanoTime()}) and is
     * still incomplete: a client that trickles a command in slowly enough to dodge the idle timeout.
     */
    boolean readingSince(long since) {
        return reading && commandStarted - since < 0;
    }

    /** Whether a further command is already buffered (then replies can wait to go out together). */
    boolean hasBuffered() {
        return position < limit;
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        position = 0;
        limit = n;
        lastRead = System.nanoTime();
        return true;
    }

    private int read() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    private List<byte[]> multibulk() throws IOException {
        long count = number("multibulk length");
        if (count == 0 || count == -1) {
            // an empty or null array: ignored, as Redis does
            return List.of();
        }
        if (count < 0) {
            throw new ProtocolException("invalid multibulk length " + count);
        }
        if (count > maxArguments) {
            throw new ProtocolException("invalid multibulk length " + count + " (at most " + maxArguments + " arguments)");
        }
        List<byte[]> arguments = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int marker = read();
            if (marker == -1) {
                throw new EOFException();
            }
            if (marker != '$') {
                throw new ProtocolException("expected '$', got '" + printable(marker) + "'");
            }
            long length = number("bulk length");
            if (length < 0 || length > maxBulk) {
                throw new ProtocolException("invalid bulk length " + length + " (at most " + maxBulk + " bytes)");
            }
            arguments.add(bulk((int) length));
        }
        return arguments;
    }

    /**
     * {@code length} bytes and the CRLF after them. A bulk that is not buffered yet is read straight
     * into an array that starts at twice what has arrived and doubles as more comes, up to
     * {@code length}: a client that declares a megabyte and stalls costs nothing beyond the read buffer.
     */
    private byte[] bulk(int length) throws IOException {
        if (length > 0 && position == limit && !fill()) {
            throw new EOFException();
        }
        byte[] bulk;
        if (limit - position >= length) {
            charge(length);
            bulk = Arrays.copyOfRange(buffer, position, position + length);
            position += length;
        }
        else {
            int have = limit - position;
            int capacity = (int) Math.min(length, 2L * have);
            charge(capacity);
            bulk = new byte[capacity];
            System.arraycopy(buffer, position, bulk, 0, have);
            position = limit;
            int filled = have;
            while (filled < length) {
                if (filled == bulk.length) {
                    int grown = (int) Math.min(length, 2L * bulk.length);
                    charge(grown);
                    bulk = Arrays.copyOf(bulk, grown);
                    uncharge(filled);
                }
                int n = in.read(bulk, filled, bulk.length - filled);
                if (n < 0) {
                    throw new EOFException();
                }
                filled += n;
                lastRead = System.nanoTime();
            }
        }
        int cr = read();
        int lf = read();
        if (cr == -1 || lf == -1) {
            throw new EOFException();
        }
        if (cr != '\r' || lf != '\n') {
            throw new ProtocolException("a bulk string of " + length + " bytes is not followed by CRLF");
        }
        return bulk;
    }

    private void charge(long bytes) throws OverBudgetException {
        if (!budget.reserve(bytes)) {
            throw new OverBudgetException("the server holds too much unfinished client data (spindle.tcp.max-buffered, "
                    + budget.max() + " bytes); retry later");
        }
        held += bytes;
    }

    private void uncharge(long bytes) {
        budget.release(bytes);
        held -= bytes;
    }

    /**
     * A header line's number, parsed from the bytes without making a string; one that does not fit
     * in a {@code long} is a protocol error rather than a wrapped-around value.
     */
    private long number(String what) throws IOException {
        int length = line();
        byte[] line = lineBytes;
        int start = lineStart;
        if (length == 0 || length > 20) {
            throw invalid(what, line, start, length);
        }
        boolean negative = line[start] == '-';
        int i = negative ? 1 : 0;
        if (i == length) {
            throw new ProtocolException("invalid " + what + " '-'");
        }
        long value = 0;
        for (; i < length; i++) {
            int digit = line[start + i] - '0';
            if (digit < 0 || digit > 9 || value > (Long.MAX_VALUE - digit) / 10) {
                throw invalid(what, line, start, length);
            }
            value = value * 10 + digit;
        }
        return negative ? -value : value;
    }

    private static ProtocolException invalid(String what, byte[] line, int start, int length) {
        return new ProtocolException("invalid " + what + " '" + text(line, start, Math.min(length, 40)) + "'");
    }

    private List<byte[]> inline() throws IOException {
        position--;
        int length = line();
        return split(text(lineBytes, lineStart, length).strip(), maxArguments);
    }

    /** Where the last line read lies: in the buffer, or in the scratch array when it crossed a refill. */
    private byte[] lineBytes = scratch;

    private int lineStart;

    /**
     * Reads up to the next LF; sets {@link #lineBytes} and {@link #lineStart}, and returns the
     * line's length without the CRLF (or LF).
     */
    private int line() throws IOException {
        for (int i = position; i < limit; i++) {
            if (buffer[i] == '\n') {
                int length = i - position;
                if (length > maxLine) {
                    throw tooBig();
                }
                lineBytes = buffer;
                lineStart = position;
                position = i + 1;
                return length > 0 && buffer[lineStart + length - 1] == '\r' ? length - 1 : length;
            }
        }
        int length = 0;
        while (true) {
            int b = read();
            if (b == -1) {
                throw new EOFException();
            }
            if (b == '\n') {
                break;
            }
            if (length >= maxLine) {
                throw tooBig();
            }
            if (length == scratch.length) {
                int grown = Math.min(maxLine, Math.max(64, length * 2));
                charge(grown);
                byte[] old = scratch;
                scratch = Arrays.copyOf(scratch, grown);
                uncharge(old.length);
            }
            scratch[length++] = (byte) b;
        }
        lineBytes = scratch;
        lineStart = 0;
        return length > 0 && scratch[length - 1] == '\r' ? length - 1 : length;
    }

    private ProtocolException tooBig() {
        return new ProtocolException("too big inline request (over " + maxLine + " bytes)");
    }

    private static String text(byte[] bytes, int start, int length) {
        return new String(bytes, start, length, StandardCharsets.UTF_8);
    }

    /** Splits an inline command line into at most {@code maxArguments} words; see the class comment. */
    static List<byte[]> split(String line, int maxArguments) throws ProtocolException {
        List<byte[]> words = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            if (words.size() == maxArguments) {
                throw new ProtocolException("too many arguments in inline request (at most " + maxArguments + ")");
            }
            if (words.size() == 1 && line.charAt(i) == '{') {
                words.add(line.substring(i).strip().getBytes(StandardCharsets.UTF_8));
                break;
            }
            StringBuilder word = new StringBuilder();
            char quote = 0;
            while (i < n) {
                char c = line.charAt(i);
                if (quote == 0) {
                    if (Character.isWhitespace(c)) {
                        break;
                    }
                    if (c == '"' || c == '\'') {
                        quote = c;
                    }
                    else {
                        word.append(c);
                    }
                }
                else if (c == '\\' && quote == '"' && i + 1 < n) {
                    i++;
                    char escaped = line.charAt(i);
                    word.append(switch (escaped) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        default -> escaped;
                    });
                }
                else if (c == quote) {
                    quote = 0;
                }
                else {
                    word.append(c);
                }
                i++;
            }
            if (quote != 0) {
                throw new ProtocolException("unbalanced quotes in request");
            }
            words.add(word.toString().getBytes(StandardCharsets.UTF_8));
        }
        return words;
    }

    private static String printable(int b) {
        return b >= 0x20 && b < 0x7f ? Character.toString(b) : String.format("\\x%02x", b);
    }
}
