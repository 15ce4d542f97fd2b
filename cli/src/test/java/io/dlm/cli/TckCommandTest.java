package io.dlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code dlm tck} (O4): it runs the TCK's tests of the rules asked for against the configured
 * engine, reports each test under its rule group, and its exit code says whether the backend met
 * them; a backend that breaks a rule fails its tests.
 */
class TckCommandTest {

    /** The key prefix of this class's runs; what a run leaves expires with its leases. */
    private static final String PREFIX = "dlm-cli-tck-" + UUID.randomUUID() + ":";

    @BeforeAll
    static void server() {
        TestServers.assumeRedis();
    }

    private static Cli.Result tck(String backend, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "tck",
                "--backend",
                backend,
                "-p",
                "dlm.redis.uri=" + TestServers.REDIS_URI,
                "-p",
                "dlm.redis.key-prefix=" + PREFIX));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void redisMeetsTheRulesAskedForAndEachTestIsReportedUnderItsGroup() {
        // K3 runs through a backend the TCK decorates: the command wires that path too.
        Cli.Result result = tck("redis", "--rules", "I1,f1,K3");

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out())
                .startsWith("DLM TCK against backend 'redis': lease granularity 0.001s, shared lock space")
                .contains("\nFencing\n", "\nLeases\n", "\nKeepingALease\n")
                .contains("  passed  I1_freeResourceInspectsEmpty (")
                .containsPattern("  passed  F1_\\w+ \\(\\d+ ms\\)")
                .containsPattern("  passed  K3_\\w+ \\(\\d+ ms\\)")
                .containsPattern("\\d+ tests: \\d+ passed, 0 failed, 0 skipped, in ")
                .contains("The backend meets every rule tested.")
                .doesNotContain("L2_", "FAILED");
    }

    @Test
    void aBackendThatBreaksARuleFailsItsTestsAndTheRunExitsWithSix() {
        Cli.Result result = tck("blind-redis", "--rules", "I1");

        assertThat(result.exitCode()).as(result.out() + result.err()).isEqualTo(ExitCodes.TCK_FAILED);
        assertThat(result.out())
                .contains("  FAILED  I1_heldResourceShowsHolderTokenAndRemainingLease (")
                .contains("  passed  I1_freeResourceInspectsEmpty (")
                .containsPattern("\\d+ tests: \\d+ passed, [1-9]\\d* failed")
                .contains("does not meet the rules whose tests FAILED");
    }

    @Test
    void jsonGivesOneObjectPerTestAndASummary() {
        Cli.Result result = tck("redis", "--rules", "V1", "--json");

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        List<String> lines = result.out().lines().toList();
        assertThat(lines).hasSizeGreaterThan(2);
        assertThat(lines.subList(0, lines.size() - 1))
                .allMatch(line -> line.matches(
                        "\\{\"test\":\"V1_\\w+\",\"group\":\"Identifiers\",\"outcome\":\"passed\",\"millis\":\\d+}"));
        assertThat(lines.get(lines.size() - 1))
                .matches("\\{\"tests\":" + (lines.size() - 1) + ",\"passed\":" + (lines.size() - 1)
                        + ",\"failed\":0,\"skipped\":0,\"seconds\":[0-9.]+}");
    }

    @Test
    void theMemoryBackendIsAPrivateLockSpace() {
        Cli.Result result = Cli.run("tck", "--backend", "memory", "--rules", "C1");

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out()).contains("private lock space").contains("  passed  C1_");
    }

    @Test
    void badRuleIdsAreRefusedBeforeAnythingRuns() {
        Cli.Result malformed = tck("redis", "--rules", "L2,not-a-rule");
        assertThat(malformed.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(malformed.err()).contains("--rules").contains("'not-a-rule'");
        assertThat(malformed.out()).isEmpty();

        Cli.Result unknown = tck("redis", "--rules", "Z9");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("--rules Z9 names no rule the TCK tests");

        Cli.Result badMultiplier = tck("redis", "--timeout-multiplier", "0");
        assertThat(badMultiplier.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badMultiplier.err()).contains("--timeout-multiplier must be a positive number");
    }

    @Test
    void anUnknownBackendOrAnEngineOutOfReachIsOneLineAndNoTests() {
        Cli.Result unknown = Cli.run("tck", "--backend", "no-such-engine");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("no-such-engine").hasLineCount(1);
        assertThat(unknown.out()).isEmpty();

        Cli.Result unreachable = Cli.run(
                "tck",
                "--backend",
                "redis",
                "-p",
                "dlm.redis.uri=redis://127.0.0.1:1",
                "-p",
                "dlm.operation.timeout=500ms");
        assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.ENGINE);
        assertThat(unreachable.err()).contains("check dlm.redis.uri").hasLineCount(1);
        assertThat(unreachable.out()).isEmpty();
    }
}
