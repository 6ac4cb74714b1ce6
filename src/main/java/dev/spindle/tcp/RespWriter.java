package dev.spindle.tcp;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Collects RESP2 replies and sends them in one write when asked. The buffer starts small and
 * shrinks back after a large reply, so that thousands of idle connections cost little memory.
 */
final class RespWriter {

    private static final int INITIAL = 256;

    private static final int KEEP = 16 * 1024;

    private static final byte[] CRLF = { '\r', '\n' };

    private final OutputStream out;

    private byte[] buffer = new byte[INITIAL];

    private int size;

    RespWriter(OutputStream out) {
        this.out = out;
    }

    void simple(String text) {
        put('+');
        put(oneLine(text));
        put(CRLF);
    }

    /** An error reply; {@code text} starts with its kind, such as {@code ERR} or {@code BUSY}. */
    void error(String text) {
        put('-');
        put(oneLine(text));
        put(CRLF);
    }

    void integer(long value) {
        put(':');
        put(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        put(CRLF);
    }

    void bulk(byte[] value) {
        put('$');
        put(Integer.toString(value.length).getBytes(StandardCharsets.US_ASCII));
        put(CRLF);
        put(value);
        put(CRLF);
    }

    void bulk(String value) {
        bulk(value.getBytes(StandardCharsets.UTF_8));
    }

    /** The header of an array of {@code count} replies, which follow it. */
    void array(int count) {
        put('*');
        put(Integer.toString(count).getBytes(StandardCharsets.US_ASCII));
        put(CRLF);
    }

    void nil() {
        put("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    int size() {
        return size;
    }

    void flush() throws IOException {
        if (size > 0) {
            out.write(buffer, 0, size);
            out.flush();
            size = 0;
        }
        if (buffer.length > KEEP) {
            buffer = new byte[INITIAL];
        }
    }

    /** Simple strings and errors are one line: a CR or LF inside would break the framing. */
    private static byte[] oneLine(String text) {
        return text.replace('\r', ' ').replace('\n', ' ').getBytes(StandardCharsets.UTF_8);
    }

    private void put(int b) {
        ensure(1);
        buffer[size++] = (byte) b;
    }

    private void put(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }
}
