package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockManagers;
import io.dlm.spi.BackendContext;
import io.dlm.tck.support.CapturedLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ZKClientConfig;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * E1a for {@code dlm.zookeeper.tls.*} and the ACL: a store ZooKeeper could not use, or a password
 * that does not open it, fails {@code open} naming its key, before any connection; valid settings
 * reach the client's own configuration and nothing else; an ACL left open by default is warned
 * about.
 */
class ZooKeeperSecuritySettingsTest {

    @TempDir
    static Path dir;

    private static TestCertificates certificates;

    @BeforeAll
    static void certificates() throws Exception {
        certificates = TestCertificates.create(dir);
    }

    private static ZooKeeperSettings parse(String... keysAndValues) {
        Map<String, String> settings = new HashMap<>();
        settings.put(ZooKeeperSettings.CONNECT, "127.0.0.1:1");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            settings.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return ZooKeeperSettings.from(BackendContext.of(settings));
    }

    @Test
    void invalidTlsSettingsNameTheirKey() throws Exception {
        Path notAStore = Files.writeString(dir.resolve("not-a-store.p12"), "hello", StandardCharsets.US_ASCII);
        Path unknownExtension = Files.copy(certificates.caPem(), dir.resolve("ca.crt-bundle"));
        String ca = certificates.caPem().toString();
        String client = certificates.client().toString();
        String password = TestCertificates.PASSWORD;
        Object[][] cases = {
            // {expected key in the message, settings...}
            {TlsSettings.ENABLED, new String[] {TlsSettings.ENABLED, "yes"}},
            {TlsSettings.TRUST_STORE, new String[] {TlsSettings.TRUST_STORE, ca}},
            {TlsSettings.ENABLED, new String[] {TlsSettings.KEY_STORE, client}},
            {TlsSettings.TRUST_STORE, new String[] {TlsSettings.ENABLED, "true", TlsSettings.TRUST_STORE, "/no/such"}},
            {TlsSettings.KEY_STORE, new String[] {TlsSettings.ENABLED, "true", TlsSettings.KEY_STORE, dir.toString()}},
            {TlsSettings.KEY_STORE, new String[] {TlsSettings.ENABLED, "true", TlsSettings.KEY_STORE, "a\0b"}},
            {TlsSettings.KEY_STORE_PASSWORD, new String[] {TlsSettings.ENABLED, "true", TlsSettings.KEY_STORE, client}},
            {
                TlsSettings.KEY_STORE_PASSWORD,
                new String[] {
                    TlsSettings.ENABLED,
                    "true",
                    TlsSettings.KEY_STORE,
                    client,
                    TlsSettings.KEY_STORE_PASSWORD,
                    "badpass"
                }
            },
            {
                TlsSettings.TRUST_STORE_PASSWORD,
                new String[] {TlsSettings.ENABLED, "true", TlsSettings.TRUST_STORE, client}
            },
            {
                TlsSettings.TRUST_STORE_PASSWORD,
                new String[] {
                    TlsSettings.ENABLED,
                    "true",
                    TlsSettings.TRUST_STORE,
                    client,
                    TlsSettings.TRUST_STORE_PASSWORD,
                    "badpass"
                }
            },
            {
                TlsSettings.TRUST_STORE,
                new String[] {
                    TlsSettings.ENABLED,
                    "true",
                    TlsSettings.TRUST_STORE,
                    notAStore.toString(),
                    TlsSettings.TRUST_STORE_PASSWORD,
                    password
                }
            },
            {
                TlsSettings.TRUST_STORE_TYPE,
                new String[] {
                    TlsSettings.ENABLED, "true", TlsSettings.TRUST_STORE, ca, TlsSettings.TRUST_STORE_TYPE, "P12X"
                }
            },
            {
                TlsSettings.TRUST_STORE_TYPE,
                new String[] {TlsSettings.ENABLED, "true", TlsSettings.TRUST_STORE, unknownExtension.toString()}
            },
            {
                TlsSettings.KEY_STORE_PASSWORD,
                new String[] {TlsSettings.ENABLED, "true", TlsSettings.KEY_STORE_PASSWORD, password}
            },
            {
                TlsSettings.KEY_STORE,
                new String[] {
                    TlsSettings.ENABLED,
                    "true",
                    TlsSettings.KEY_STORE,
                    ca,
                    TlsSettings.KEY_STORE_TYPE,
                    "PKCS12",
                    TlsSettings.KEY_STORE_PASSWORD,
                    password
                }
            },
            // 'creator' needs an identity: TLS alone, without a client certificate, has none.
            {
                ZooKeeperSettings.ACL_KEY,
                new String[] {
                    TlsSettings.ENABLED, "true", TlsSettings.TRUST_STORE, ca, ZooKeeperSettings.ACL_KEY, "creator"
                }
            },
        };
        SoftAssertions softly = new SoftAssertions();
        for (Object[] invalid : cases) {
            String key = (String) invalid[0];
            String[] settings = (String[]) invalid[1];
            softly.assertThatThrownBy(() -> parse(settings))
                    .as("%s", String.join(" ", settings))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key)
                    .hasMessageNotContaining(password)
                    .hasMessageNotContaining("badpass");
        }
        softly.assertAll();
    }

    @Test
    void openFailsOnABadStoreBeforeConnecting() {
        assertThatThrownBy(() -> LockManagers.open(
                                "zookeeper",
                                Map.of(
                                        ZooKeeperSettings.CONNECT,
                                        "127.0.0.1:1",
                                        TlsSettings.ENABLED,
                                        "true",
                                        TlsSettings.KEY_STORE,
                                        certificates.client().toString()))
                        .close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(TlsSettings.KEY_STORE_PASSWORD);
    }

    @Test
    void tlsSettingsGoToTheClientConfigurationOnlyAndOverrideSystemProperties() {
        ZooKeeperSettings settings = parse(
                TlsSettings.ENABLED,
                "TRUE",
                TlsSettings.TRUST_STORE,
                certificates.caPem().toString());
        TlsSettings tls = settings.tls();
        assertThat(tls).isNotNull();
        String keyStoreProperty = "zookeeper.ssl.keyStore.location";
        System.setProperty(keyStoreProperty, certificates.intruder().toString());
        ZKClientConfig config;
        try {
            // ZooKeeper copies zookeeper.ssl.* system properties into every new client config.
            config = new ZKClientConfig();
        } finally {
            System.clearProperty(keyStoreProperty);
        }
        assertThat(config.getProperty(keyStoreProperty))
                .isEqualTo(certificates.intruder().toString());
        tls.applyTo(config);

        assertThat(config.getBoolean(ZKClientConfig.SECURE_CLIENT)).isTrue();
        assertThat(config.getProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET))
                .isEqualTo(ClientCnxnSocketNetty.class.getName());
        assertThat(config.getProperty("zookeeper.ssl.trustStore.location"))
                .isEqualTo(certificates.caPem().toString());
        assertThat(config.getProperty("zookeeper.ssl.trustStore.type")).isEqualTo("PEM");
        assertThat(config.getProperty(keyStoreProperty))
                .as("a key store of the JVM's, not of this manager's settings")
                .isNull();
        assertThat(System.getProperties().stringPropertyNames())
                .noneMatch(key -> key.startsWith("zookeeper.ssl") || key.startsWith("zookeeper.client"));
        assertThat(settings.toString()).doesNotContain(TestCertificates.PASSWORD);
    }

    @Test
    void aClientCertificateIsAnIdentityForTheCreatorAcl() {
        ZooKeeperSettings settings = parse(
                TlsSettings.ENABLED,
                "true",
                TlsSettings.KEY_STORE,
                certificates.client().toString(),
                TlsSettings.KEY_STORE_PASSWORD,
                TestCertificates.PASSWORD,
                ZooKeeperSettings.ACL_KEY,
                "creator");
        assertThat(settings.acl()).isEqualTo(ZooDefs.Ids.CREATOR_ALL_ACL);
        assertThat(settings.toString()).doesNotContain(TestCertificates.PASSWORD);
    }

    @Test
    void anAclLeftOpenByDefaultIsWarnedAbout() {
        try (CapturedLog log = new CapturedLog(ZooKeeperSettings.class)) {
            assertThat(parse().acl()).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
            assertThat(log.warnings())
                    .singleElement()
                    .asString()
                    .contains("open ACL")
                    .contains(ZooKeeperSettings.AUTH_DIGEST)
                    .contains(ZooKeeperSettings.ACL_KEY);
        }
    }

    @Test
    void anAclOpenOnPurposeOrCreatorOnlyIsNotWarnedAbout() {
        try (CapturedLog log = new CapturedLog(ZooKeeperSettings.class)) {
            assertThat(parse(ZooKeeperSettings.ACL_KEY, "open").acl()).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
            assertThat(parse(ZooKeeperSettings.AUTH_DIGEST, "dlm:secret").acl()).isEqualTo(ZooDefs.Ids.CREATOR_ALL_ACL);
            assertThat(log.warnings()).isEmpty();
        }
    }
}
