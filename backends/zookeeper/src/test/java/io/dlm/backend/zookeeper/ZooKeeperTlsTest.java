package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dlm.zookeeper.tls.*} against a real ZooKeeper server that speaks only TLS and requires a
 * client certificate: locks work over TLS with the settings of the manager alone (no system
 * property), a client that does not trust the server or has no certificate fails with {@code
 * INTERNAL_ERROR} within {@code dlm.operation.timeout} (X1) instead of hanging, and the client
 * certificate can be the identity of a {@code creator} ACL (ZooKeeper's {@code x509} scheme).
 */
class ZooKeeperTlsTest {

    /** Of the managers that must fail: short, to keep the test short, and the bound it checks. */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Of the managers that must work: long enough for the first call, which waits for a TLS
     * handshake and a new session with a server in a second JVM, on a busy machine.
     */
    private static final Duration WORKING_OPERATION_TIMEOUT = Duration.ofSeconds(15);

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperTlsTest.class);

    @TempDir
    static Path dir;

    private static TestCertificates certificates;
    private static SecureTestZooKeeper server;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(Files.createDirectories(dir.resolve("certificates")));
        server = SecureTestZooKeeper.start(Files.createDirectories(dir.resolve("server")), certificates);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static TestBackends.Opened open(String base, String... more) {
        return open(OPERATION_TIMEOUT, base, more);
    }

    private static TestBackends.Opened openWorking(String base, String... more) {
        return open(WORKING_OPERATION_TIMEOUT, base, more);
    }

    private static TestBackends.Opened open(Duration operationTimeout, String base, String... more) {
        List<String> settings = new ArrayList<>(List.of(
                "dlm.operation.timeout",
                operationTimeout.toMillis() + "ms",
                "dlm.zookeeper.tls.enabled",
                "true",
                "dlm.zookeeper.tls.trust-store",
                certificates.caPem().toString()));
        settings.addAll(List.of(more));
        return TestBackends.open(server.connectString(), base, settings.toArray(String[]::new));
    }

    private static String[] clientCertificate() {
        return new String[] {
            "dlm.zookeeper.tls.key-store",
            certificates.client().toString(),
            "dlm.zookeeper.tls.key-store-password",
            TestCertificates.PASSWORD
        };
    }

    @Test
    void locksWorkOverTlsWithAClientCertificateAndNoSystemProperty() {
        // A manager on a plain ensemble, open in the same JVM at the same time: TLS settings are
        // per manager.
        try (TestBackends.Opened opened = openWorking(BASE, clientCertificate());
                TestBackends.Opened plain = TestBackends.open(
                        TestZooKeeper.shared().getConnectString(), TestZooKeeper.basePath(ZooKeeperTlsTest.class))) {
            Optional<Lease> lease =
                    opened.manager().tryAcquire("tls", "holder", Duration.ofSeconds(10), Duration.ofSeconds(30));
            assertThat(lease).isPresent();
            assertThat(opened.manager().inspect("tls").orElseThrow().clientId()).isEqualTo("holder");
            assertThat(lease.orElseThrow().renew()).isTrue();
            assertThat(plain.manager().lock("tls", "plain", 10_000)).isTrue();
            lease.orElseThrow().release();
            assertThat(opened.manager().inspect("tls")).isEmpty();

            assertThat(opened.manager().lock("tls-2", "holder", 5_000)).isTrue();
            assertThat(opened.manager().heartbeat("tls-2", "holder")).isTrue();
            assertThat(opened.manager().unlock("tls-2", "holder")).isTrue();
            assertThat(plain.manager().unlock("tls", "plain")).isTrue();
        }
        // The settings went to the TLS manager's own ZKClientConfig, not to system properties.
        assertThat(System.getProperties().stringPropertyNames())
                .noneMatch(key -> key.startsWith("zookeeper.ssl") || key.startsWith("zookeeper.client"));
    }

    @Test
    void aPemKeyStoreOfAKeyAndItsCertificateWorksWithoutPassword() {
        try (TestBackends.Opened opened = openWorking(
                BASE, "dlm.zookeeper.tls.key-store", certificates.clientPem().toString())) {
            assertThat(opened.manager().lock("pem", "holder", 5_000)).isTrue();
            assertThat(opened.manager().unlock("pem", "holder")).isTrue();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheServerFailsWithinTheOperationTimeout() {
        String[] wrongTrust = {
            "dlm.zookeeper.tls.trust-store", certificates.otherCaPem().toString()
        };
        List<String> settings = new ArrayList<>(List.of(clientCertificate()));
        settings.addAll(List.of(wrongTrust));
        assertFailsInTime(open(BASE, settings.toArray(String[]::new)));
    }

    @Test
    void aClientWithoutCertificateIsRefusedWithinTheOperationTimeout() {
        assertFailsInTime(open(BASE));
    }

    @Test
    void aClientWithoutTlsFailsWithinTheOperationTimeout() {
        assertFailsInTime(TestBackends.open(
                server.connectString(), BASE, "dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms"));
    }

    /**
     * Every call fails with {@code INTERNAL_ERROR} and a cause (X1), an acquisition within its
     * wait plus two operation timeouts (the try, and its undo, X5), and closing takes no longer
     * than the operation timeout (C1); each bound has 3 s of slack for a busy machine.
     */
    private static void assertFailsInTime(TestBackends.Opened opened) {
        Duration slack = Duration.ofSeconds(3);
        long started = System.nanoTime();
        assertThatThrownBy(() -> opened.manager().lock("refused", "client", 1_000))
                .isInstanceOfSatisfying(LockException.class, ZooKeeperTlsTest::isInternalErrorWithCause);
        Duration lock = since(started);
        assertThat(lock)
                .as("lock with a 1 s wait on a server that refuses the connection")
                .isLessThan(Duration.ofSeconds(1)
                        .plus(OPERATION_TIMEOUT.multipliedBy(2))
                        .plus(slack));
        started = System.nanoTime();
        assertThatThrownBy(() -> opened.manager().inspect("refused"))
                .isInstanceOfSatisfying(LockException.class, ZooKeeperTlsTest::isInternalErrorWithCause);
        Duration inspect = since(started);
        assertThat(inspect).as("inspect").isLessThan(OPERATION_TIMEOUT.plus(slack));
        started = System.nanoTime();
        opened.close();
        Duration close = since(started);
        assertThat(close).as("close").isLessThan(OPERATION_TIMEOUT.plus(slack));
        System.out.printf(
                "refused client: lock %d ms, inspect %d ms, close %d ms%n",
                lock.toMillis(), inspect.toMillis(), close.toMillis());
    }

    private static void isInternalErrorWithCause(LockException e) {
        assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR);
        assertThat(e.getCause()).as("cause of %s", e).isNotNull();
    }

    private static Duration since(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }

    @Test
    void theClientCertificateIsTheIdentityOfACreatorAcl() throws Exception {
        String base = TestZooKeeper.basePath(ZooKeeperTlsTest.class);
        List<String> settings = new ArrayList<>(List.of(clientCertificate()));
        settings.addAll(List.of("dlm.zookeeper.acl", "creator"));
        String[] creator = settings.toArray(String[]::new);
        ZooKeeper intruder = connect(certificates.intruder());
        ZooKeeper owner = connect(certificates.client());
        try (TestBackends.Opened holder = openWorking(base, creator);
                TestBackends.Opened rival = openWorking(base, creator)) {
            assertThat(holder.manager().lock("x509", "holder", 5_000)).isTrue();
            String lockPath = base + "/" + NodePaths.encode("x509");

            // Another certificate of the same authority is another identity: it can neither see,
            // change, delete nor add a lock node.
            assertThatThrownBy(() -> intruder.exists(lockPath, false))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> intruder.delete(lockPath, -1)).isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> intruder.setData(lockPath, new byte[0], -1))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> intruder.create(
                            base + "/forged", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThat(holder.manager().inspect("x509").orElseThrow().clientId())
                    .isEqualTo("holder");
            assertThat(owner.getACL(lockPath, null))
                    .as("the lock node's ACL")
                    .singleElement()
                    .satisfies(acl -> {
                        assertThat(acl.getId().getScheme()).isEqualTo("x509");
                        assertThat(acl.getId().getId()).isEqualTo("CN=dlm-client");
                        assertThat(acl.getPerms()).isEqualTo(ZooDefs.Perms.ALL);
                    });
            assertThat(owner.getACL(base, null)).as("the base path's ACL").isEqualTo(owner.getACL(lockPath, null));

            // A manager with the same certificate is the same identity and contends normally.
            assertThat(rival.manager().tryAcquire("x509", "rival", Duration.ZERO, Duration.ofSeconds(30)))
                    .isEmpty();
            assertThat(holder.manager().unlock("x509", "holder")).isTrue();
            assertThat(rival.manager().lock("x509", "rival", 5_000)).isTrue();
            assertThat(rival.manager().unlock("x509", "rival")).isTrue();
        } finally {
            intruder.close();
            owner.close();
        }
    }

    /** A plain ZooKeeper client over TLS with the given client certificate. */
    private static ZooKeeper connect(Path keyStore) throws Exception {
        ZKClientConfig config = new ZKClientConfig();
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        config.setProperty("zookeeper.ssl.keyStore.location", keyStore.toString());
        config.setProperty("zookeeper.ssl.keyStore.password", TestCertificates.PASSWORD);
        config.setProperty(
                "zookeeper.ssl.trustStore.location", certificates.caPem().toString());
        ZooKeeper zooKeeper = new ZooKeeper(server.connectString(), 10_000, event -> {}, config);
        await("the intruder's TLS session")
                .atMost(Duration.ofSeconds(20))
                .until(() -> zooKeeper.getState().isConnected());
        return zooKeeper;
    }
}
