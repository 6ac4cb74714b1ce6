import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N TCP connections to host:port, prints "ready N", then holds them open and idle until it
 * is killed. Used by bench/tcp/run.sh to measure the server's memory per idle connection.
 */
public class IdleClients {

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        List<Socket> sockets = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 10_000);
            sockets.add(socket);
        }
        System.out.println("ready " + sockets.size());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
