package io.dlm.tck.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCK's cross-process tier: lock clients in other JVMs, started with {@link ForkedJvm} and
 * running {@link LockClientMain}, against the backend's real engine. What one JVM cannot show:
 *
 * <ul>
 *   <li>E2, C1: a holder killed with {@code SIGKILL} (no release, no close) keeps its lock while
 *       its engine still counts it alive, and another process gets the lock, with a larger token,
 *       once the lease ran out or the engine noticed the death;
 *   <li>M1, F1: two JVMs counting in one file under one lock never lose an update, and each gets
 *       ever larger tokens, none issued twice.
 * </ul>
 *
 * <p>A backend's test extends it and names the backend and its connection settings; the forked
 * JVMs get the same settings as {@code key=value} arguments, so the backend and its driver must be
 * on the test class path. Bounds scale with {@link TckTimings}.
 *
 * <pre>{@code
 * class RedisCrossProcessTest extends CrossProcessTck {
 *     protected String backend() { return "redis"; }
 *     protected Map<String, String> settings() {
 *         return Map.of("dlm.redis.uri", URI, "dlm.redis.key-prefix", PREFIX);
 *     }
 * }
 * }</pre>
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class CrossProcessTck {

    /** A JVM starting on a loaded two-core machine, loading a driver and connecting, takes a while. */
    private static final Duration JVM_START = Duration.ofSeconds(90);

    private final String run = UUID.randomUUID().toString();

    /** For subclasses: a backend's test class. */
    protected CrossProcessTck() {}

    /**
     * The backend's provider name, as {@code LockManagers.open} takes it.
     *
     * @return the name
     */
    protected abstract String backend();

    /**
     * The settings that reach the engine under test (its address, key prefix or table), used by
     * the test's own manager and by every forked client.
     *
     * @return {@code dlm.*} settings
     */
    protected abstract Map<String, String> settings();

    /**
     * The settings of a forked client: {@link #settings()} by default. Override to give a fresh
     * JVM more time for its first call, for example.
     *
     * @return {@code dlm.*} settings
     */
    protected Map<String, String> forkedSettings() {
        return settings();
    }

    /**
     * How soon the engine notices on its own that a killed holder is gone, when it does sooner than
     * the lease ends (a ZooKeeper session's expiry). Empty, by default: the engine knows a holder
     * only by its lease, so the lock must stay held until the lease ran out.
     *
     * @return the bound, or empty
     */
    protected Optional<Duration> deathNoticedWithin() {
        return Optional.empty();
    }

    /**
     * The lease of the holder that is killed: long enough that the lock is still held when the
     * test looks right after the kill. Override with a much longer one where the engine notices a
     * death by itself ({@link #deathNoticedWithin()}), to show that it does.
     *
     * @return three seconds by default
     */
    protected Duration holderLease() {
        return Duration.ofSeconds(3);
    }

    /**
     * How late after the lease ran out (or the death was noticed) the next client may get the lock:
     * the engine's expiry check and a waiter's wake-up. Scaled by the timeout multiplier.
     *
     * @return three seconds by default
     */
    protected Duration freedWithin() {
        return Duration.ofSeconds(3);
    }

    @Test
    void E2_aHolderKilledWithSigkillKeepsItsLockUntilTheEngineEndsItsLease() throws Exception {
        String resource = resource("killed");
        Duration lease = holderLease();
        Duration heldFor = deathNoticedWithin().orElse(lease);
        try (LockManager manager = open();
                ForkedJvm holder = ForkedJvm.start(
                        LockClientMain.class, arguments("hold", resource, "doomed", Long.toString(lease.toMillis())))) {
            long token = Long.parseLong(holder.awaitLine("ACQUIRED ", JVM_START)
                    .substring("ACQUIRED ".length())
                    .trim());
            // The holder's lease began before it printed its line: this is a late estimate of it.
            long acquired = System.nanoTime();
            holder.kill();
            LockInfo info = manager.inspect(resource).orElseThrow();
            assertThat(info.clientId()).as("holder right after SIGKILL").isEqualTo("doomed");
            assertThat(info.fencingToken()).isEqualTo(token);

            assertThat(manager.lock(
                            resource,
                            "survivor",
                            TckTimings.scaled(Duration.ofSeconds(60)).toMillis()))
                    .as("lock of the killed holder's resource")
                    .isTrue();
            Duration waited = Duration.ofNanos(System.nanoTime() - acquired);
            if (deathNoticedWithin().isEmpty()) {
                assertThat(waited)
                        .as("E2: not before the killed holder's lease of %s ran out", lease)
                        .isGreaterThanOrEqualTo(lease.minusMillis(500));
            }
            assertThat(waited)
                    .as("E2: soon after the lease ran out or the engine noticed the death (%s)", heldFor)
                    .isLessThan(heldFor.plus(TckTimings.scaled(freedWithin())));
            assertThat(manager.inspect(resource).orElseThrow().fencingToken())
                    .as("F1: the survivor's token")
                    .isGreaterThan(token);
        }
    }

    @Test
    void M1_twoJvmsCountingUnderOneLockNeverLoseAnUpdateAndTokensGrow(@TempDir Path dir) throws Exception {
        String resource = resource("counted");
        Path counter = Files.writeString(dir.resolve("counter"), "0", StandardCharsets.UTF_8);
        int iterations = 25;
        List<ForkedJvm> jvms = new ArrayList<>();
        try {
            for (String client : List.of("jvm-a", "jvm-b")) {
                jvms.add(ForkedJvm.start(
                        LockClientMain.class,
                        arguments("count", resource, client, Integer.toString(iterations), counter.toString())));
            }
            Set<Long> all = new HashSet<>();
            for (ForkedJvm jvm : jvms) {
                long previous = Long.MIN_VALUE;
                for (int i = 0; i < iterations; i++) {
                    String line =
                            jvm.awaitLine("TOKEN ", i == 0 ? JVM_START : TckTimings.scaled(Duration.ofSeconds(60)));
                    long token =
                            Long.parseLong(line.substring("TOKEN ".length()).trim());
                    assertThat(token).as("F1: token %d of one JVM", i).isGreaterThan(previous);
                    assertThat(all.add(token))
                            .as("F1: token %d issued twice", token)
                            .isTrue();
                    previous = token;
                }
                jvm.awaitLine("DONE", TckTimings.scaled(Duration.ofSeconds(60)));
                assertThat(jvm.awaitExit(TckTimings.scaled(Duration.ofSeconds(30))))
                        .as("exit status of a counting JVM")
                        .isZero();
            }
        } finally {
            jvms.forEach(ForkedJvm::close);
        }
        // The file is read and written with no other guard than the lock (M1).
        assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                .as("M1: the counter after %d guarded increments by each JVM", iterations)
                .isEqualTo(Integer.toString(2 * iterations));
    }

    private String resource(String name) {
        return "dlm-tck/" + run + "/" + name;
    }

    private LockManager open() {
        return LockManagers.open(backend(), new HashMap<>(settings()));
    }

    private List<String> arguments(String mode, String resource, String client, String... rest) {
        List<String> arguments = new ArrayList<>(List.of(mode, backend(), resource, client));
        arguments.addAll(List.of(rest));
        for (Map.Entry<String, String> setting : forkedSettings().entrySet()) {
            arguments.add(setting.getKey() + "=" + setting.getValue());
        }
        return arguments;
    }
}
