package dev.spindle;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * RESP over a bare socket, for arguments a Redis client library would not send as they are: one
 * command as a multibulk array of any bytes, one reply read back as text.
 */
public final class RespClient implements AutoCloseable {

    private final Socket socket;

    private final OutputStream out;

    private final InputStream in;

    public RespClient(int port) throws IOException {
        this(new InetSocketAddress("127.0.0.1", port), null);
    }

    /**
     * A client of {@code server} from {@code local} (null: any), so that the server sees the client at
     * an address of the test's choosing: another loopback address ({@code 127.0.0.2}) or this host's
     * non-loopback one.
     */
    public RespClient(InetSocketAddress server, InetAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(server, 5_000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /**
     * Sends one command and reads its reply: a status, error or integer line as it is
     * ({@code +PONG}, {@code -ERR …}, {@code :1}), a bulk string as {@code $<length>\n<data>}, nil as {@code $-1}.
     */
    public String call(List<byte[]> arguments) throws IOException {
        ByteArrayOutputStream command = new ByteArrayOutputStream();
        command.writeBytes(("*" + arguments.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] argument : arguments) {
            command.writeBytes(("$" + argument.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            command.writeBytes(argument);
            command.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(command.toByteArray());
        out.flush();
        String line = line();
        if (!line.startsWith("$") || line.equals("$-1")) {
            return line;
        }
        byte[] data = in.readNBytes(Integer.parseInt(line.substring(1)) + 2);
        return line + "\n" + new String(data, 0, Math.max(0, data.length - 2), StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        if (b == -1 && line.size() == 0) {
            throw new IOException("the server closed the connection");
        }
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
