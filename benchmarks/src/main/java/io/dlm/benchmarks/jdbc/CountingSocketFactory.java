package io.dlm.benchmarks.jdbc;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * A socket factory for the JDBC drivers ({@code socketFactory=} in a pgjdbc or MariaDB URL) that
 * counts the writes of every socket it made: both drivers buffer a request and write it with one
 * flush, then wait for the answer, so writes are the client's round trips. {@link JdbcPairCost}
 * divides them by the pairs it ran.
 */
public final class CountingSocketFactory extends SocketFactory {

    private static final AtomicLong WRITES = new AtomicLong();

    /** Instantiated by the drivers, by name. */
    public CountingSocketFactory() {}

    /**
     * Writes on sockets of this factory so far.
     *
     * @return the count since the JVM started
     */
    static long writes() {
        return WRITES.get();
    }

    @Override
    public Socket createSocket() {
        return new CountingSocket();
    }

    // The drivers connect the socket themselves; these forms are only here to complete the type.

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connect(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connect(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket(address, port);
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new CountingSocket();
        socket.connect(address);
        return socket;
    }

    /** A plain socket whose output stream counts its writes. */
    private static final class CountingSocket extends Socket {
        private @Nullable OutputStream counted;

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            OutputStream out = counted;
            if (out == null) {
                out = new FilterOutputStream(super.getOutputStream()) {
                    @Override
                    public void write(byte[] bytes, int offset, int length) throws IOException {
                        WRITES.incrementAndGet();
                        super.out.write(bytes, offset, length);
                    }

                    @Override
                    public void write(int b) throws IOException {
                        WRITES.incrementAndGet();
                        super.out.write(b);
                    }
                };
                counted = out;
            }
            return out;
        }
    }
}
