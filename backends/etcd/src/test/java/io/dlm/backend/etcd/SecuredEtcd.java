package io.dlm.backend.etcd;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.awaitility.Awaitility;

/**
 * One etcd server that takes clients only over TLS with a client certificate its authority signed
 * ({@code --client-cert-auth}), with authentication on: a {@code root} user, a user whose role may
 * read and write one namespace and DLM's namespace registry, as an operator would set it up, and a
 * user whose role grants the namespace only.
 */
final class SecuredEtcd implements AutoCloseable {

    static final String USER = "dlm";
    static final String PASSWORD = "dlm-secret";

    /** A user whose role grants the namespace only, not DLM's namespace registry. */
    static final String NARROW_USER = "dlm-narrow";

    private static final String ROOT_PASSWORD = "root-secret";

    private final Process process;
    private final Path log;
    private final int clientPort;

    private SecuredEtcd(Process process, Path log, int clientPort) {
        this.process = process;
        this.log = log;
        this.clientPort = clientPort;
    }

    /**
     * Starts the server, creates the users and turns authentication on.
     *
     * @param dir the test's directory for data and logs
     * @param certificates the authority the server trusts, and its own certificate
     * @param namespace what the {@link #USER} may lock under
     * @return the running server
     */
    static SecuredEtcd start(Path dir, TestCertificates certificates, String namespace) throws IOException {
        int clientPort = EtcdExtension.freePort();
        int peerPort = EtcdExtension.freePort();
        String peerUrl = "http://127.0.0.1:" + peerPort;
        Path log = dir.resolve("etcd.log");
        Process process = new ProcessBuilder(List.of(
                        EtcdExtension.findBinary(),
                        "--name=secured",
                        "--data-dir=" + dir.resolve("etcd.data"),
                        "--listen-client-urls=https://127.0.0.1:" + clientPort,
                        "--advertise-client-urls=https://127.0.0.1:" + clientPort,
                        "--listen-peer-urls=" + peerUrl,
                        "--initial-advertise-peer-urls=" + peerUrl,
                        "--initial-cluster=secured=" + peerUrl,
                        "--cert-file=" + certificates.serverCert(),
                        "--key-file=" + certificates.serverKey(),
                        "--trusted-ca-file=" + certificates.ca(),
                        "--client-cert-auth",
                        "--heartbeat-interval=50",
                        "--election-timeout=500",
                        "--logger=zap",
                        "--log-outputs=stderr",
                        "--log-level=warn"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        SecuredEtcd server = new SecuredEtcd(process, log, clientPort);
        try {
            server.enableAuthentication(certificates, namespace);
        } catch (RuntimeException | Error e) {
            server.close();
            throw new IllegalStateException("the secured etcd did not come up; its log:\n" + server.logText(), e);
        }
        return server;
    }

    /** The client URL, {@code https://127.0.0.1:port}. */
    String endpoint() {
        return "https://127.0.0.1:" + clientPort;
    }

    private void enableAuthentication(TestCertificates certificates, String namespace) {
        try (Client admin = Client.builder()
                .endpoints(endpoint())
                .sslContext(ssl -> ssl.trustManager(certificates.ca().toFile())
                        .keyManager(
                                certificates.clientCert().toFile(),
                                certificates.clientKey().toFile()))
                .build()) {
            Auth auth = admin.getAuthClient();
            Awaitility.await("the secured etcd answers")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> {
                        auth.roleAdd(bytes("root")).get(5, TimeUnit.SECONDS);
                        return true;
                    });
            auth.userAdd(bytes("root"), bytes(ROOT_PASSWORD)).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
            auth.roleAdd(bytes("dlm-locks")).get(10, TimeUnit.SECONDS);
            grantPrefix(auth, "dlm-locks", namespace);
            grantPrefix(auth, "dlm-locks", NamespaceRegistry.PREFIX);
            auth.userAdd(bytes(USER), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(bytes(USER), bytes("dlm-locks")).get(10, TimeUnit.SECONDS);
            auth.roleAdd(bytes("dlm-narrow")).get(10, TimeUnit.SECONDS);
            grantPrefix(auth, "dlm-narrow", namespace);
            auth.userAdd(bytes(NARROW_USER), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(bytes(NARROW_USER), bytes("dlm-narrow")).get(10, TimeUnit.SECONDS);
            auth.authEnable().get(10, TimeUnit.SECONDS);
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("setting up authentication failed", e);
        }
    }

    private static void grantPrefix(Auth auth, String role, String prefix) throws Exception {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++; // ASCII prefixes here: the last byte never overflows
        auth.roleGrantPermission(bytes(role), bytes(prefix), ByteSequence.from(end), Permission.Type.READWRITE)
                .get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
