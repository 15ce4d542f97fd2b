package io.dlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code dlm} decides before or without an engine: settings and their precedence, bad input,
 * unsupported capabilities, and an engine that does not answer.
 */
class OfflineCommandsTest {

    @Test
    void environmentVariablesMapByMicroProfileConfigsRuleAndByDoubleUnderscoreForHyphen() {
        EnvironmentSettings read = EnvironmentSettings.from(Map.of(
                "DLM_REDIS_URI", "redis://h:1",
                "DLM_REDIS_KEY_PREFIX", "mp:",
                "DLM_JDBC_CREATE__TABLE", "false",
                "DLM_ZOOKEEPER_TLS_KEY_STORE_PASSWORD", "pw",
                "DLM_OPERATION_TIMEOUT", "2s",
                "DLM_REDIS_KEY_PREFXI", "typo:",
                "DLM_", "x",
                "DLM_lower", "x",
                "HOME", "/root"));
        assertThat(read.settings())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "dlm.redis.uri", "redis://h:1",
                        "dlm.redis.key-prefix", "mp:",
                        "dlm.jdbc.create-table", "false",
                        "dlm.zookeeper.tls.key-store-password", "pw",
                        "dlm.operation.timeout", "2s",
                        "dlm.redis.key.prefxi", "typo:"));
        assertThat(read.unknown()).containsExactly("DLM_REDIS_KEY_PREFXI");
        assertThat(EnvironmentSettings.from(Map.of("DLM_REDIS_KEY__PREFIX", "own:"))
                        .settings())
                .isEqualTo(Map.of("dlm.redis.key-prefix", "own:"));
    }

    @Test
    void noTwoKnownKeysShareAnEnvironmentName() {
        assertThat(KnownSettings.KEYS.stream()
                        .map(KnownSettings::environmentName)
                        .distinct())
                .hasSameSizeAs(KnownSettings.KEYS);
        for (String key : KnownSettings.KEYS) {
            assertThat(EnvironmentSettings.key(KnownSettings.environmentName(key)))
                    .isEqualTo(key);
        }
    }

    @Test
    void aForcedReleaseRefusesAVariableOfNoKnownSettingBeforeConnecting() {
        Map<String, String> environment =
                Map.of("DLM_BACKEND", "redis", "DLM_REDIS_URI", "redis://127.0.0.1:1", "DLM_REDIS_KEYPREFIX", "app:");
        Cli.Result force = Cli.run(environment, "release", "--force", "r");
        assertThat(force.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(force.err())
                .startsWith("dlm: error: DLM_REDIS_KEYPREFIX names no setting dlm knows (read as dlm.redis.keyprefix)")
                .hasLineCount(1);
    }

    @Test
    void propertyWinsOverConfigWhichWinsOverEnvironment(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("dlm.properties");
        Files.writeString(
                config,
                "dlm.backend=jdbc\ndlm.redis.uri=from-config\ndlm.lease.min=2s\nspring.datasource.url=ignored\n",
                StandardCharsets.UTF_8);
        Settings settings = Settings.resolve(
                Map.of("DLM_BACKEND", "redis", "DLM_REDIS_URI", "from-env", "DLM_OPERATION_TIMEOUT", "3s"),
                config,
                List.of("dlm.redis.uri=from-property", "dlm.extra=a=b", "dlm.jdbc.password=x=y"));
        assertThat(settings.values())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "dlm.backend", "jdbc",
                        "dlm.redis.uri", "from-property",
                        "dlm.lease.min", "2s",
                        "dlm.operation.timeout", "3s",
                        "dlm.extra", "a=b",
                        "dlm.jdbc.password", "x=y"));
        assertThat(settings.backend(null)).isEqualTo("jdbc");
        assertThat(settings.backend("redis")).isEqualTo("redis");
    }

    @Test
    void unknownBackendMissingBackendAndMissingConfigAreUsageErrors() {
        Cli.Result unknown = Cli.run("--backend", "nope", "inspect", "r");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err())
                .startsWith("dlm: error: No DLM backend 'nope'")
                .hasLineCount(1);

        Cli.Result none = Cli.run("inspect", "r");
        assertThat(none.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err())
                .isEqualTo(
                        "dlm: error: no backend: give --backend NAME, or set dlm.backend (e.g. DLM_BACKEND=redis)\n");

        Cli.Result fromEnvironment = Cli.run(Map.of("DLM_BACKEND", "nope"), "inspect", "r");
        assertThat(fromEnvironment.err()).startsWith("dlm: error: No DLM backend 'nope'");

        Cli.Result missing = Cli.run("--backend", "memory", "--config", "/no/such/dlm.properties", "inspect", "r");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).isEqualTo("dlm: error: --config /no/such/dlm.properties: no such file\n");

        Cli.Result notDlm = Cli.run("--backend", "memory", "--property", "redis.uri=x", "inspect", "r");
        assertThat(notDlm.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(notDlm.err()).contains("--property 'redis.uri=x': the key must start with 'dlm.'");

        Cli.Result noCommand = Cli.run("--backend", "memory");
        assertThat(noCommand.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noCommand.err()).contains("missing command").hasLineCount(1);
    }

    @Test
    void theMemoryBackendIsRefusedForItsLocksLiveInAnotherProcess() {
        for (List<String> command : List.of(
                List.of("list"), List.of("inspect", "r"), List.of("release", "--force", "r"), List.of("watch", "r"))) {
            List<String> args = new ArrayList<>(List.of("--backend", "memory"));
            args.addAll(command);
            Cli.Result result = Cli.run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(command.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(result.err())
                    .startsWith("dlm: error: backend 'memory' keeps its locks inside the process")
                    .hasLineCount(1);
        }
    }

    @Test
    void errorsThatEchoAPropertyMaskPasswordsAndSecrets() {
        Cli.Result noEquals = Cli.run("--backend", "redis", "--property", "dlm.jdbc.password:hunter2", "list");
        assertThat(noEquals.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noEquals.err()).doesNotContain("hunter2").contains("not shown");
        Cli.Result notDlm = Cli.run("--backend", "redis", "--property", "jdbc.password=hunter2", "list");
        assertThat(notDlm.err()).doesNotContain("hunter2").contains("'jdbc.password=****'");
        Cli.Result secret = Cli.run("--backend", "redis", "--property", "app.secret=hunter2", "list");
        assertThat(secret.err()).doesNotContain("hunter2");
    }

    @Test
    void anUnreachableRedisIsOneLineNamingTheSettingAndExitCodeThree() {
        long start = System.nanoTime();
        Cli.Result result = Cli.run(
                "--backend", "redis",
                "--property", "dlm.redis.uri=redis://127.0.0.1:1",
                "--property", "dlm.operation.timeout=500ms",
                "inspect", "r");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(result.exitCode()).isEqualTo(ExitCodes.ENGINE);
        assertThat(result.err())
                .startsWith("dlm: error: the redis engine failed or cannot be reached (check dlm.redis.uri and"
                        + " dlm.operation.timeout): ")
                .hasLineCount(1);
        assertThat(result.out()).isEmpty();
    }

    @Test
    void anUnreachableDatabaseIsOneLineNamingTheSettingAndExitCodeThree() {
        long start = System.nanoTime();
        Cli.Result result = Cli.run(
                Map.of("DLM_JDBC_URL", "jdbc:postgresql://127.0.0.1:1/test", "DLM_OPERATION_TIMEOUT", "1s"),
                "--backend",
                "jdbc",
                "list");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(result.exitCode()).as(result.err()).isEqualTo(ExitCodes.ENGINE);
        assertThat(result.err())
                .startsWith("dlm: error: the jdbc engine failed or cannot be reached (check dlm.jdbc.url")
                .hasLineCount(1);
    }

    @Test
    void helpListsTheCommandsSettingsAndExitCodes() {
        Cli.Result help = Cli.run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out())
                .contains("inspect", "list", "watch", "release", "DLM_REDIS_KEY_PREFIX", "Exit codes:", "70  a bug");
        Cli.Result watchHelp = Cli.run("watch", "--help");
        assertThat(watchHelp.out()).contains("--interval", "polls");
    }

    @Test
    void textOutputEscapesControlCharactersAndJsonEscapesStrings() {
        assertThat(Text.escape("a\nb\\c\u0001 d")).isEqualTo("a\\nb\\\\c\\u0001 d");
        assertThat(Json.string("q\"\n\u0002ü")).isEqualTo("\"q\\\"\\n\\u0002ü\"");
        assertThat(Text.seconds(Duration.ofMillis(29_512))).isEqualTo("29.512s");
    }
}
