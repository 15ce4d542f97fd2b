package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.support.CapturedLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * E1a for the {@code dlm.etcd.*} keys: a bad value fails {@code open} naming its key; a good one
 * opens even when etcd cannot be reached (the backend then assumes etcd's default minimum lease
 * TTL, see {@code EtcdStockTimingTest}), and an unreachable cluster then shows as {@code
 * INTERNAL_ERROR} within the operation timeout (X1). No server is needed.
 */
class EtcdSettingsTest {

    private static final String SOME_ENDPOINT = "http://127.0.0.1:2379";

    @Test
    void endpointsAreRequired() {
        assertThatThrownBy(() -> LockManagers.open("etcd", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.etcd.endpoints");
    }

    @Test
    void malformedEndpointsNameTheKey() {
        for (String endpoints : new String[] {
            "",
            "127.0.0.1:2379",
            "http://",
            "ftp://h:1",
            "http://h",
            "http://a:1,,http://b:2",
            "http://a:1,https://b:2",
            "http://bad host:1"
        }) {
            assertThatThrownBy(() -> LockManagers.open("etcd", Map.of("dlm.etcd.endpoints", endpoints)))
                    .as("endpoints '%s'", endpoints)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.etcd.endpoints");
        }
    }

    @Test
    void invalidValuesNameTheirKey(@TempDir Path dir) throws IOException {
        Path pem = Files.writeString(dir.resolve("some.pem"), "not really a certificate");
        Map<String, Map<String, String>> invalid = Map.of(
                "dlm.etcd.namespace", Map.of("dlm.etcd.namespace", ""),
                "dlm.etcd.connect-timeout", Map.of("dlm.etcd.connect-timeout", "soon"),
                "dlm.etcd.user", Map.of("dlm.etcd.password", "secret"),
                "dlm.etcd.password", Map.of("dlm.etcd.user", "root"),
                "dlm.etcd.tls.ca",
                        Map.of("dlm.etcd.tls.ca", dir.resolve("missing.pem").toString()),
                "dlm.etcd.tls.key", Map.of("dlm.etcd.tls.cert", pem.toString()),
                "dlm.etcd.tls.cert", Map.of("dlm.etcd.tls.key", pem.toString()));
        invalid.forEach((key, settings) -> {
            Map<String, String> all = new HashMap<>(settings);
            all.put("dlm.etcd.endpoints", "https://127.0.0.1:2379");
            assertThatThrownBy(() -> LockManagers.open("etcd", all))
                    .as("open with %s", settings)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key);
        });
        assertThatThrownBy(() -> LockManagers.open(
                        "etcd", Map.of("dlm.etcd.endpoints", SOME_ENDPOINT, "dlm.etcd.tls.ca", pem.toString())))
                .as("TLS material with http:// endpoints")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.etcd.tls.ca");
    }

    @Test
    void validSettingsOpenWithoutContactingEtcd() {
        Map<String, String> settings = Map.of(
                "dlm.etcd.endpoints", "http://127.0.0.1:1, http://localhost:2",
                "dlm.etcd.namespace", "/elsewhere/",
                "dlm.etcd.user", "root",
                "dlm.etcd.password", "secret",
                "dlm.etcd.connect-timeout", "750ms",
                "dlm.etcd.no-such-setting", "only warned about");
        try (LockManager manager = LockManagers.open("etcd", settings)) {
            assertThat(manager).isNotNull();
        }
    }

    @Test
    void credentialsOverPlainHttpAreWarnedAbout() {
        try (CapturedLog log = new CapturedLog(EtcdSettings.class)) {
            LockManagers.open(
                            "etcd",
                            Map.of(
                                    "dlm.etcd.endpoints",
                                    SOME_ENDPOINT,
                                    "dlm.etcd.user",
                                    "root",
                                    "dlm.etcd.password",
                                    "pw"))
                    .close();
            assertThat(log.warnings())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                    .contains("dlm.etcd.user", "dlm.etcd.password", "http://", "plain text", "https://");
        }
    }

    @Test
    void plainHttpWithoutCredentialsIsNotWarnedAbout() {
        try (CapturedLog log = new CapturedLog(EtcdSettings.class)) {
            LockManagers.open("etcd", Map.of("dlm.etcd.endpoints", SOME_ENDPOINT))
                    .close();
            assertThat(log.warnings()).isEmpty();
        }
    }

    @Test
    void unreachableClusterFailsWithInternalErrorWithinTheOperationTimeout() throws IOException {
        Duration timeout = Duration.ofSeconds(1);
        try (LockManager manager = LockManagers.open(
                "etcd",
                Map.of(
                        "dlm.etcd.endpoints", "http://127.0.0.1:" + closedPort(),
                        "dlm.operation.timeout", timeout.toMillis() + "ms"))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.lock("r", "c", 0))
                    .isInstanceOf(LockException.class)
                    .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR))
                    .hasCauseInstanceOf(Throwable.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(timeout.plusSeconds(2));
        }
    }

    /** A loopback port nobody listens on (bound, then released). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** jetcd refuses every call when its retry delay is not below the retry duration. */
    @Test
    void retryPacingFitsAnyOperationTimeout() {
        for (long millis : new long[] {1, 2, 3, 100, 500, 501, 5_000, 60_000}) {
            EtcdClients.Retries retries = EtcdClients.Retries.within(Duration.ofMillis(millis));
            assertThat(retries.delayMillis()).as("%d ms", millis).isPositive();
            assertThat(retries.maxDelayMillis()).as("%d ms", millis).isGreaterThan(retries.delayMillis());
            assertThat(retries.maxDuration().toMillis()).as("%d ms", millis).isGreaterThan(retries.delayMillis());
        }
        assertThat(EtcdClients.Retries.within(Duration.ofSeconds(5)))
                .as("jetcd's own pacing where it fits")
                .isEqualTo(new EtcdClients.Retries(500, 2_500, Duration.ofSeconds(5)));
    }
}
