package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.spi.BackendContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code dlm.jdbc.*} settings on their own, without a database (E1a). */
class JdbcSettingsTest {

    private static JdbcSettings parse(String... keysAndValues) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.url", "jdbc:postgresql://db:5432/app?password=secret");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            settings.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return JdbcSettings.parse(BackendContext.of(settings), false);
    }

    @Test
    void defaults() {
        JdbcSettings settings = parse();
        assertThat(settings.table().name()).isEqualTo("dlm_locks");
        assertThat(settings.table().sequence()).isEqualTo("dlm_locks_seq");
        assertThat(settings.createTable()).isFalse();
        assertThat(settings.dialect()).isNull();
        assertThat(settings.poolSize()).isEqualTo(10);
        assertThat(settings.retention()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.reapInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void retentionGrowsWithTheOperationTimeoutAndCannotGoBelowTenOfThem() {
        assertThat(parse("dlm.operation.timeout", "2m").retention()).isEqualTo(Duration.ofMinutes(20));
        assertThat(parse("dlm.operation.timeout", "1s", "dlm.jdbc.retention", "10s")
                        .retention())
                .isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> parse("dlm.operation.timeout", "1s", "dlm.jdbc.retention", "9s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.jdbc.retention");
    }

    @Test
    void anOwnPoolNeedsAnOperationTimeoutOfAtLeast250Milliseconds() {
        assertThat(parse("dlm.operation.timeout", "250ms").operationTimeout()).isEqualTo(Duration.ofMillis(250));
        for (String tooShort : new String[] {"249ms", "100ms", "1ms", "PT0.0005S"}) {
            assertThatThrownBy(() -> parse("dlm.operation.timeout", tooShort, "dlm.jdbc.retention", "10m"))
                    .as("dlm.operation.timeout=%s", tooShort)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.operation.timeout")
                    .hasMessageContaining("250ms");
        }
    }

    @Test
    void aDataSourceOfTheApplicationsTakesShorterOperationTimeouts() {
        Map<String, String> jndi =
                Map.of("dlm.jdbc.datasource", "java:comp/env/jdbc/locks", "dlm.operation.timeout", "10ms");
        assertThat(JdbcSettings.parse(BackendContext.of(jndi), false).operationTimeout())
                .isEqualTo(Duration.ofMillis(10));
        Map<String, String> handedIn = Map.of("dlm.operation.timeout", "10ms");
        assertThat(JdbcSettings.parse(BackendContext.of(handedIn), true).operationTimeout())
                .isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void tableNamesAreIdentifiersOrSchemaQualifiedIdentifiers() {
        assertThat(parse("dlm.jdbc.table", "ops.app_locks").table().reapIndex()).isEqualTo("app_locks_reap");
        assertThat(parse("dlm.jdbc.table", "ops.app_locks").table().expiryIndex())
                .isEqualTo("app_locks_expires");
        assertThat(parse("dlm.jdbc.table", "Locks2").table().channel()).isEqualTo("Locks2");
        for (String bad : new String[] {"", "1locks", "locks-x", "a.b.c", "\"locks\"", "locks;", "x".repeat(56)}) {
            assertThatThrownBy(() -> parse("dlm.jdbc.table", bad))
                    .as("table %s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.jdbc.table");
        }
    }

    @Test
    void dialectsAreNamedInAnyCase() {
        assertThat(parse("dlm.jdbc.dialect", "MariaDB").dialect()).isEqualTo(Dialect.Kind.MARIADB);
    }

    @Test
    void messagesNeverShowTheUrlsParametersOrThePassword() {
        JdbcSettings settings = parse("dlm.jdbc.password", "hunter2");
        assertThat(settings.source()).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(settings.toString()).doesNotContain("secret").doesNotContain("hunter2");
    }
}
