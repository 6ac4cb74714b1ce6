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
 * whether a pipelined command is already buffered costs no system call.
 */
final class RespReader {

    /** A framing error: the client gets one RESP error and the connection is closed. */
    static final class ProtocolException extends IOException {

        ProtocolException(String message) {
            super(message);
        }
    }

    private final InputStream in;

    private final byte[] buffer;

    private int position;

    private int limit;

    /** When data last arrived ({@link System#nanoTime()}), for the idle timeout. */
    private volatile long lastRead = System.nanoTime();

    /** A line that does not fit in what is buffered is gathered here (grown up to the line limit, then kept). */
    private byte[] scratch = new byte[0];

    private final int maxLine;

    private final int maxBulk;

    private final int maxArguments;

    RespReader(InputStream in, int bufferSize, int maxLine, int maxBulk, int maxArguments) {
        this.in = in;
        this.buffer = new byte[bufferSize];
        this.maxLine = maxLine;
        this.maxBulk = maxBulk;
        this.maxArguments = maxArguments;
    }

    /** The next command's arguments (at least one), or null when the client closed the connection between commands. */
    @Nullable List<byte[]> next() throws IOException {
        while (true) {
            if (position == limit && !fill()) {
                return null;
            }
            int first = buffer[position++];
            List<byte[]> command = first == '*' ? multibulk() : inline();
            if (!command.isEmpty()) {
                return command;
            }
        }
    }

    /** When data last arrived from the client ({@link System#nanoTime()}). */
    long lastRead() {
        return lastRead;
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
        if (count <= 0) {
            return List.of();
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

    /** {@code length} bytes and the CRLF after them. */
    private byte[] bulk(int length) throws IOException {
        byte[] bulk;
        if (limit - position >= length) {
            bulk = Arrays.copyOfRange(buffer, position, position + length);
            position += length;
        }
        else {
            bulk = new byte[length];
            int have = limit - position;
            System.arraycopy(buffer, position, bulk, 0, have);
            position = limit;
            if (in.readNBytes(bulk, have, length - have) < length - have) {
                throw new EOFException();
            }
            lastRead = System.nanoTime();
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

    /** A header line's number, parsed from the bytes without making a string. */
    private long number(String what) throws IOException {
        int length = line();
        byte[] line = lineBytes;
        int start = lineStart;
        if (length == 0 || length > 19) {
            throw new ProtocolException("invalid " + what + " '" + text(line, start, Math.min(length, 40)) + "'");
        }
        boolean negative = line[start] == '-';
        int i = negative ? 1 : 0;
        if (i == length) {
            throw new ProtocolException("invalid " + what + " '-'");
        }
        long value = 0;
        for (; i < length; i++) {
            int digit = line[start + i] - '0';
            if (digit < 0 || digit > 9) {
                throw new ProtocolException("invalid " + what + " '" + text(line, start, Math.min(length, 40)) + "'");
            }
            value = value * 10 + digit;
        }
        return negative ? -value : value;
    }

    private List<byte[]> inline() throws IOException {
        position--;
        int length = line();
        return split(text(lineBytes, lineStart, length).strip());
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
                scratch = Arrays.copyOf(scratch, Math.min(maxLine, Math.max(64, length * 2)));
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

    /** Splits an inline command line; see the class comment. */
    static List<byte[]> split(String line) throws ProtocolException {
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
