package io.dlm.backend.zookeeper;

import static org.awaitility.Awaitility.await;

import io.dlm.tck.jvm.ForkedJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.zookeeper.server.ZooKeeperServerMain;

/**
 * A real ZooKeeper server that speaks only TLS, on its Netty socket, and requires a client
 * certificate signed by the test authority. It runs in a JVM of its own: ZooKeeper reads a
 * server's TLS settings from {@code zookeeper.ssl.*} system properties, and clients read the same
 * properties as their defaults, so a server in the test's JVM would hand its key store to every
 * client there and a test could pass without the client settings under test.
 */
final class SecureTestZooKeeper implements AutoCloseable {

    private final ForkedJvm jvm;
    private final int port;

    private SecureTestZooKeeper(ForkedJvm jvm, int port) {
        this.jvm = jvm;
        this.port = port;
    }

    /**
     * Starts the server and waits until its port accepts connections.
     *
     * @param dir an empty directory for its configuration and data
     * @param certificates the server's key store and the authority it trusts
     * @return the running server
     * @throws IOException if it cannot be started
     */
    static SecureTestZooKeeper start(Path dir, TestCertificates certificates) throws IOException {
        int port = freePort();
        Path data = Files.createDirectories(dir.resolve("data"));
        Path config = dir.resolve("zoo.cfg");
        Files.write(
                config,
                List.of(
                        "tickTime=" + TestZooKeeper.TICK_MILLIS,
                        "dataDir=" + data,
                        "secureClientPort=" + port,
                        "secureClientPortAddress=127.0.0.1",
                        // ZooKeeper turns unknown keys into zookeeper.* system properties of its JVM.
                        "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
                        "ssl.keyStore.location=" + certificates.server(),
                        "ssl.keyStore.password=" + TestCertificates.PASSWORD,
                        "ssl.keyStore.type=PKCS12",
                        "ssl.trustStore.location=" + certificates.caPem(),
                        "ssl.trustStore.type=PEM",
                        "ssl.clientAuth=need",
                        "admin.enableServer=false",
                        "forceSync=no"),
                StandardCharsets.UTF_8);
        ForkedJvm jvm = ForkedJvm.start(ZooKeeperServerMain.class, List.of(config.toString()));
        SecureTestZooKeeper server = new SecureTestZooKeeper(jvm, port);
        try {
            await("the TLS ZooKeeper server's port")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(server::accepts);
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The connect string of the secure port. */
    String connectString() {
        return "127.0.0.1:" + port;
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        jvm.close();
    }
}
