package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.tck.jvm.ForkedJvm;
import io.dlm.tck.jvm.LockClientMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lock clients in other JVMs: a holder killed with {@code SIGKILL} keeps the lock exactly until its
 * lease runs out (E2, C1's "what cannot be released expires by its lease"), and two JVMs guarding
 * one non-atomic counter never overlap (M1 across processes, F1 order).
 */
class RedisForkedJvmTest {

    private static final String PREFIX = TestRedis.uniquePrefix("forked");
    /** A JVM starting on a loaded two-core machine can take a while. */
    private static final Duration JVM_START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @BeforeAll
    static void requireRedis() {
        TestRedis.assumeAvailable();
    }

    @AfterAll
    static void removeKeys() {
        TestRedis.deleteKeys(PREFIX);
    }

    private static List<String> args(String mode, String resource, String client, String... rest) {
        List<String> args = new ArrayList<>(List.of(mode, "redis", resource, client));
        args.addAll(List.of(rest));
        args.add("dlm.redis.uri=" + TestRedis.uri());
        args.add("dlm.redis.key-prefix=" + PREFIX);
        return args;
    }

    @Test
    void E2_aKilledHoldersLockIsFreeWhenItsLeaseRunsOutAndNotBefore() throws Exception {
        String resource = "killed-" + System.nanoTime();
        try (LockManager manager = TestRedis.open(PREFIX, Map.of("dlm.lease.min", "60s"));
                ForkedJvm holder = ForkedJvm.start(LockClientMain.class, args("hold", resource, "forked", "8000"))) {
            holder.awaitLine("ACQUIRED", JVM_START);
            holder.kill();
            long before = System.nanoTime();
            LockInfo info = manager.inspect(resource).orElseThrow();
            assertThat(info.clientId()).isEqualTo("forked");
            // The lease ends no earlier than this, whatever the delays of the calls around it.
            long earliestExpiry = before + info.remaining().toNanos();
            assertThat(manager.lock(resource, "early", 0))
                    .as("lock by another client while the dead holder's lease runs")
                    .isFalse();
            assertThat(manager.lock(resource, "next", 30_000)).isTrue();
            long acquired = System.nanoTime();
            assertThat(acquired)
                    .as("acquired %s ms after the earliest expiry", (acquired - earliestExpiry) / 1_000_000)
                    .isGreaterThanOrEqualTo(
                            earliestExpiry - Duration.ofMillis(2).toNanos());
            // Woken by the expiry, not by polling late or by the waiter's own timeout.
            assertThat(Duration.ofNanos(acquired - earliestExpiry)).isLessThan(Duration.ofSeconds(3));
            assertThat(manager.inspect(resource).orElseThrow().fencingToken()).isGreaterThan(info.fencingToken());
        }
    }

    @Test
    void M1_twoJvmsGuardingOneCounterNeverOverlap() throws Exception {
        String resource = "counted-" + System.nanoTime();
        Path counter = dir.resolve("counter");
        Files.writeString(counter, "0", StandardCharsets.UTF_8);
        int iterations = 100;
        List<List<Long>> tokens = new ArrayList<>();
        try (ForkedJvm one = ForkedJvm.start(
                        LockClientMain.class,
                        args("count", resource, "jvm-one", Integer.toString(iterations), counter.toString()));
                ForkedJvm two = ForkedJvm.start(
                        LockClientMain.class,
                        args("count", resource, "jvm-two", Integer.toString(iterations), counter.toString()))) {
            for (ForkedJvm jvm : List.of(one, two)) {
                List<Long> seen = new ArrayList<>();
                for (int i = 0; i < iterations; i++) {
                    String line = jvm.awaitLine("TOKEN ", i == 0 ? JVM_START : Duration.ofSeconds(60));
                    seen.add(Long.parseLong(line.substring("TOKEN ".length()).trim()));
                }
                jvm.awaitLine("DONE", Duration.ofSeconds(60));
                tokens.add(seen);
            }
            assertThat(one.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(two.awaitExit(Duration.ofSeconds(30))).isZero();
        }
        assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                .as("counter after %d guarded increments by each JVM", iterations)
                .isEqualTo(Integer.toString(2 * iterations));
        Set<Long> all = new HashSet<>();
        for (List<Long> seen : tokens) {
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i)).as("token %d of one JVM", i).isGreaterThan(seen.get(i - 1));
            }
            all.addAll(seen);
        }
        assertThat(all).as("tokens of both JVMs never repeat").hasSize(2 * iterations);
    }
}
