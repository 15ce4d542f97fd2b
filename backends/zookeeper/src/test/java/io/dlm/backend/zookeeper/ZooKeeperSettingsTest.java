package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockManagers;
import io.dlm.spi.BackendContext;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** E1a: invalid {@code dlm.zookeeper.*} values fail {@code open} naming their key, before connecting. */
class ZooKeeperSettingsTest {

    @Test
    void connectIsRequired() {
        assertThatThrownBy(() -> LockManagers.open("zookeeper", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.zookeeper.connect");
        assertThatThrownBy(() -> LockManagers.open("zookeeper", Map.of("dlm.zookeeper.connect", "  ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.zookeeper.connect");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "dlm.zookeeper.connect, host:notaport",
        "dlm.zookeeper.base-path, relative/path",
        "dlm.zookeeper.session-timeout, 0",
        "dlm.zookeeper.connection-timeout, soon",
        "dlm.zookeeper.retry.max-retries, -1",
        "dlm.zookeeper.retry.base-sleep, -5ms",
        "dlm.zookeeper.auth.digest, nocolon",
        "dlm.zookeeper.acl, world"
    })
    void invalidValuesNameTheirKey(String key, String value) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.zookeeper.connect", "127.0.0.1:1");
        settings.put(key, value);
        assertThatThrownBy(() -> LockManagers.open("zookeeper", settings).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key);
    }

    @Test
    void theOperationTimeoutGoesDownToOneMillisecond() {
        assertThatThrownBy(() -> LockManagers.open(
                        "zookeeper",
                        Map.of("dlm.zookeeper.connect", "127.0.0.1:1", "dlm.operation.timeout", "PT0.0009S")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.operation.timeout")
                .hasMessageContaining("1ms");
        assertThat(ZooKeeperSettings.from(BackendContext.of(
                                Map.of("dlm.zookeeper.connect", "127.0.0.1:1", "dlm.operation.timeout", "1ms")))
                        .connect())
                .isEqualTo("127.0.0.1:1");
    }

    @Test
    void moreInvalidPathsAndConnectStrings() {
        SoftAssertions softly = new SoftAssertions();
        for (String basePath : new String[] {"/trailing/", "/a//b", "/zookeeper", "/zookeeper/quota", "/a/./b", ""}) {
            softly.assertThatThrownBy(() -> LockManagers.open(
                                    "zookeeper",
                                    Map.of("dlm.zookeeper.connect", "127.0.0.1:1", "dlm.zookeeper.base-path", basePath))
                            .close())
                    .as("base path %s", basePath)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.zookeeper.base-path");
        }
        for (String connect : new String[] {"host:99999", "host:2181/bad//chroot", ","}) {
            softly.assertThatThrownBy(() -> LockManagers.open("zookeeper", Map.of("dlm.zookeeper.connect", connect))
                            .close())
                    .as("connect %s", connect)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.zookeeper.connect");
        }
        softly.assertThatThrownBy(() -> LockManagers.open(
                                "zookeeper",
                                Map.of("dlm.zookeeper.connect", "127.0.0.1:1", "dlm.zookeeper.acl", "creator"))
                        .close())
                .as("creator ACL without credentials")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.zookeeper.acl");
        softly.assertAll();
    }
}
