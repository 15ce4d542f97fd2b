package io.dlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar through {@code bin/dlm}, as a real process: the manifest, the merged ServiceLoader
 * files and the launcher all work. Runs in the {@code package} phase, once the jar exists (see the
 * module's pom), and is left out of the {@code test} phase.
 */
class LauncherScriptTest {

    private static final Path SCRIPT = Path.of(System.getProperty("dlm.cli.script", "bin/dlm"));
    private static final String PREFIX =
            "dlm-test:cli-script:" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @BeforeAll
    static void server() {
        TestServers.assumeRedis();
    }

    record Run(int exitCode, String out, String err) {}

    private static Run dlm(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("DLM_"));
        builder.environment().putAll(environment);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path out = Files.createTempFile("dlm-out", ".txt");
        Path err = Files.createTempFile("dlm-err", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("dlm did not end within 30 s: " + command);
            }
            return new Run(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void theScriptRunsTheJarWithSettingsFromTheEnvironment() throws Exception {
        Map<String, String> environment =
                Map.of("DLM_BACKEND", "redis", "DLM_REDIS_URI", TestServers.REDIS_URI, "DLM_REDIS_KEY__PREFIX", PREFIX);
        try (LockManager manager = LockManagers.open(
                "redis", Map.of("dlm.redis.uri", TestServers.REDIS_URI, "dlm.redis.key-prefix", PREFIX))) {
            Lease lease = manager.tryAcquire("deploy", "ci-runner", Duration.ZERO, Duration.ofSeconds(30))
                    .orElseThrow();

            Run inspect = dlm(environment, "inspect", "deploy");
            assertThat(inspect.exitCode()).as(inspect.err()).isZero();
            assertThat(inspect.out()).contains("holder     ci-runner", "token      " + lease.fencingToken());

            Run list = dlm(environment, "list");
            assertThat(list.out().lines()).hasSize(2);

            Run release = dlm(environment, "release", "--force", "deploy");
            assertThat(release.exitCode()).isZero();
            assertThat(lease.renew()).isFalse();
        }
        Run tooLong = dlm(environment, "inspect", "x".repeat(1025));
        assertThat(tooLong.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(tooLong.err()).isEqualTo("dlm: error: RESOURCE is 1025 chars long; at most 1024 are allowed\n");

        Run version = dlm(Map.of("JAVA_OPTS", "-XX:+UseParallelGC -Dnot.a.glob=*"), "--version");
        assertThat(version.exitCode()).as(version.err()).isZero();
        assertThat(version.out()).matches("dlm [0-9][^ ]*\n");

        Run help = dlm(Map.of(), "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).startsWith("Usage: dlm ");
    }

    /** The jar carries the TCK, JUnit's engine and its merged service files: dlm tck runs from it. */
    @Test
    void theJarRunsTheTck() throws Exception {
        Run tck = dlm(
                Map.of("DLM_REDIS_URI", TestServers.REDIS_URI, "DLM_REDIS_KEY__PREFIX", PREFIX),
                "tck",
                "--backend",
                "redis",
                "--rules",
                "U1");

        assertThat(tck.exitCode()).as(tck.out() + tck.err()).isZero();
        assertThat(tck.out()).containsPattern("  passed  U1_\\w+ ").contains(" 0 failed");
    }
}
