package dev.spindle.tcp;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 */
final class RespReader {

    /** A framing error: the client gets one RESP error and the connection is closed. */
    static final class ProtocolException extends IOException {

        ProtocolException(String message) {
            super(message);
        }
    }

    private final InputStream in;

    private final int maxLine;

    private final int maxBulk;

    private final int maxArguments;

    RespReader(InputStream in, int maxLine, int maxBulk, int maxArguments) {
        this.in = in;
        this.maxLine = maxLine;
        this.maxBulk = maxBulk;
        this.maxArguments = maxArguments;
    }

    /** The next command's arguments (at least one), or null when the client closed the connection between commands. */
    @Nullable List<byte[]> next() throws IOException {
        while (true) {
            int first = in.read();
            if (first == -1) {
                return null;
            }
            List<byte[]> command = first == '*' ? multibulk() : inline(first);
            if (!command.isEmpty()) {
                return command;
            }
        }
    }

    /** Whether a further command is already buffered (then replies can wait to go out together). */
    boolean hasBuffered() throws IOException {
        return in.available() > 0;
    }

    private List<byte[]> multibulk() throws IOException {
        long count = number(line(), "multibulk length");
        if (count <= 0) {
            return List.of();
        }
        if (count > maxArguments) {
            throw new ProtocolException("invalid multibulk length " + count + " (at most " + maxArguments + " arguments)");
        }
        List<byte[]> arguments = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int marker = in.read();
            if (marker == -1) {
                throw new EOFException();
            }
            if (marker != '$') {
                throw new ProtocolException("expected '$', got '" + printable(marker) + "'");
            }
            long length = number(line(), "bulk length");
            if (length < 0 || length > maxBulk) {
                throw new ProtocolException("invalid bulk length " + length + " (at most " + maxBulk + " bytes)");
            }
            byte[] bulk = in.readNBytes((int) length);
            if (bulk.length < length) {
                throw new EOFException();
            }
            int cr = in.read();
            int lf = in.read();
            if (cr == -1 || lf == -1) {
                throw new EOFException();
            }
            if (cr != '\r' || lf != '\n') {
                throw new ProtocolException("a bulk string of " + length + " bytes is not followed by CRLF");
            }
            arguments.add(bulk);
        }
        return arguments;
    }

    private List<byte[]> inline(int first) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.write(first);
        String text = first == '\n' ? "" : line(line);
        return split(text.strip());
    }

    /** A header line after its type byte, without the CRLF. */
    private String line() throws IOException {
        return line(new ByteArrayOutputStream());
    }

    private String line(ByteArrayOutputStream line) throws IOException {
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException();
            }
            if (b == '\n') {
                break;
            }
            if (line.size() >= maxLine) {
                throw new ProtocolException("too big inline request (over " + maxLine + " bytes)");
            }
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private static long number(String text, String what) throws ProtocolException {
        try {
            return Long.parseLong(text);
        }
        catch (NumberFormatException ex) {
            throw new ProtocolException("invalid " + what + " '" + abbreviate(text) + "'");
        }
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

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
