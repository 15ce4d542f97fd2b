package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.support.CapturedLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dlm.etcd.tls.*}, {@code dlm.etcd.user} and {@code dlm.etcd.password} against a real
 * secured etcd: TLS with client certificates required, authentication on, and a user whose role
 * grants only its namespace (and the namespace registry). The right settings lock, inspect and
 * unlock; a wrong authority, a missing or foreign client certificate, or a wrong password fail
 * with {@code INTERNAL_ERROR} that says why, within the operation timeout (X1).
 */
class EtcdSecurityTest {

    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(2);

    /** Room for a loaded machine on top of the operation timeout. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private static final String NAMESPACE = "/dlm-test/secured-" + UUID.randomUUID() + "/";

    @TempDir
    static Path dir;

    private static TestCertificates trusted;
    private static TestCertificates foreign;
    private static SecuredEtcd etcd;

    @BeforeAll
    static void startSecuredEtcd() throws Exception {
        EtcdExtension.findBinary(); // skips outside CI, fails in CI, without the binary
        trusted = TestCertificates.create(dir, "trusted");
        foreign = TestCertificates.create(dir, "foreign");
        etcd = SecuredEtcd.start(dir, trusted, NAMESPACE);
    }

    @AfterAll
    static void stopSecuredEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void theRightSettingsLockInspectAndUnlock() {
        try (LockManager manager = open(settings())) {
            assertThat(manager.lock("r", "c", 0)).isTrue();
            assertThat(manager.inspect("r"))
                    .hasValueSatisfying(info -> assertThat(info.clientId()).isEqualTo("c"));
            assertThat(manager.heartbeat("r", "c")).isTrue();
            assertThat(manager.lock("r", "other", 0)).isFalse();
            assertThat(manager.unlock("r", "c")).isTrue();
            assertThat(manager.inspect("r")).isEmpty();
        }
    }

    @Test
    void anAuthorityThatDidNotSignTheServerFailsClearly() {
        Map<String, String> settings = settings();
        settings.put("dlm.etcd.tls.ca", foreign.ca().toString());
        assertFailsClearly(settings, "SSLHandshakeException: PKIX path building failed");
    }

    @Test
    void noClientCertificateFailsClearly() {
        Map<String, String> settings = settings();
        settings.remove("dlm.etcd.tls.cert");
        settings.remove("dlm.etcd.tls.key");
        assertFailsClearly(settings, "SSLHandshakeException: Received fatal alert: bad_certificate");
    }

    @Test
    void aClientCertificateOfAnotherAuthorityFailsClearly() {
        Map<String, String> settings = settings();
        settings.put("dlm.etcd.tls.cert", foreign.clientCert().toString());
        settings.put("dlm.etcd.tls.key", foreign.clientKey().toString());
        assertFailsClearly(settings, "SSLHandshakeException: Received fatal alert: bad_certificate");
    }

    @Test
    void aWrongPasswordFailsClearly() {
        Map<String, String> settings = settings();
        settings.put("dlm.etcd.password", "not-the-password");
        assertFailsClearly(settings, "authentication failed, invalid user ID or password");
    }

    /** Without the right to the namespace registry, locking works and the unchecked nesting is warned about. */
    @Test
    void aUserWithoutTheRegistryLocksAndIsWarned() {
        Map<String, String> settings = settings();
        settings.put("dlm.etcd.user", SecuredEtcd.NARROW_USER);
        try (CapturedLog log = new CapturedLog(NamespaceRegistry.class);
                LockManager manager = open(settings)) {
            assertThat(manager.lock("narrow", "c", 0)).isTrue();
            assertThat(manager.unlock("narrow", "c")).isTrue();
            assertThat(log.warnings())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                    .contains(NAMESPACE, NamespaceRegistry.PREFIX);
        }
    }

    @Test
    void credentialsOverHttpsAreNotWarnedAbout() {
        try (CapturedLog log = new CapturedLog(EtcdSettings.class)) {
            open(settings()).close();
            assertThat(log.warnings()).isEmpty();
        }
    }

    private static void assertFailsClearly(Map<String, String> settings, String says) {
        try (LockManager manager = open(settings)) {
            long start = System.nanoTime();
            Throwable thrown = catchThrowable(() -> manager.lock("r-" + UUID.randomUUID(), "c", 0));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(thrown)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            assertThat(thrown.getCause())
                    .as("the engine's failure is attached (X1)")
                    .isNotNull();
            assertThat(chain(thrown)).as("what the failure says").contains(says);
            assertThat(took).as("X1: it fails within the operation timeout").isLessThan(OPERATION_TIMEOUT.plus(SLACK));
        }
    }

    /** The messages of an exception and its causes, as a person reading the log sees them. */
    private static String chain(Throwable thrown) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            text.append(t).append('\n');
        }
        return text.toString();
    }

    private static Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.etcd.endpoints", etcd.endpoint());
        settings.put("dlm.etcd.namespace", NAMESPACE);
        settings.put("dlm.etcd.tls.ca", trusted.ca().toString());
        settings.put("dlm.etcd.tls.cert", trusted.clientCert().toString());
        settings.put("dlm.etcd.tls.key", trusted.clientKey().toString());
        settings.put("dlm.etcd.user", SecuredEtcd.USER);
        settings.put("dlm.etcd.password", SecuredEtcd.PASSWORD);
        settings.put("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms");
        return settings;
    }

    private static LockManager open(Map<String, String> settings) {
        return LockManagers.open("etcd", settings);
    }
}
