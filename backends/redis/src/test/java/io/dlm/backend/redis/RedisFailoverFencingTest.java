package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * F1 across a Sentinel failover that loses grants (N5), with the replica's clock behind the
 * primary's (libfaketime): replication is cut for good, a holder takes a lock on the old primary,
 * then the replica, which never saw that grant, is promoted. What the docs promise, exactly:
 * without replica acknowledgements the next token is the larger of the promoted replica's counter
 * plus one and its clock, so it passes the lost token only once that clock has; with
 * {@code dlm.redis.replica-acks} the grant the replica lacks is never handed out.
 */
class RedisFailoverFencingTest {

    private static final String RESOURCE = "invoice/7";
    private static final String KEPT = "invoice/8";
    private static final Duration LEASE = Duration.ofSeconds(60);
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(2);

    private final RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
    private final String fence = keys.leaseAndFence(RESOURCE)[1];

    @TempDir
    Path dir;

    @Test
    void N5_withoutReplicaAcksANewTokenPassesALostOneOnceThePromotedReplicasClockHas() throws Exception {
        try (CutOffReplica servers = CutOffReplica.start(dir, "-20s")) {
            assertReplicaBehind(servers, 20);
            try (LockManager first = open(servers.sentinelUri(), Map.of())) {
                long early = lockAndUnlockOnce(first);
                long keptAt = System.nanoTime();
                assertThat(first.lock(KEPT, "keeper", 0)).isTrue();
                // Replicated before the cut: the promoted replica will continue from this counter.
                Awaitility.await()
                        .atMost(TckTimings.scaled(Duration.ofSeconds(10)))
                        .until(() -> Long.toString(early)
                                        .equals(servers.onReplica.sync().get(fence))
                                && servers.onReplica.sync().exists(keys.lease(KEPT)) == 1L);

                servers.cutReplication();
                assertThat(first.lock(RESOURCE, "stranded", 0)).isTrue();
                long stranded = first.inspect(RESOURCE).orElseThrow().fencingToken();
                assertThat(servers.onReplica.sync().exists(keys.lease(RESOURCE)))
                        .as("the replica never saw the stranded grant")
                        .isZero();

                servers.failover();
                try (LockManager next = open(servers.sentinelUri(), Map.of())) {
                    long clockBefore = CutOffReplica.micros(servers.onReplica);
                    awaitLock(next, "next");
                    long clockAfter = CutOffReplica.micros(servers.onReplica);
                    long taken = next.inspect(RESOURCE).orElseThrow().fencingToken();
                    // The documented rule: the larger of the promoted replica's counter + 1 and its clock.
                    assertThat(taken).isGreaterThan(early).isGreaterThanOrEqualTo(clockBefore);
                    assertThat(taken).isLessThanOrEqualTo(Math.max(early + 1, clockAfter));
                    // Redis replicates an expiry as a wall-clock instant, which the replica reads by its own
                    // clock: a lease it received lasts as much longer as that clock is behind (20 s here).
                    Duration left = next.inspect(KEPT).orElseThrow().remaining();
                    Duration sinceGranted = Duration.ofNanos(System.nanoTime() - keptAt);
                    assertThat(left).isGreaterThan(LEASE.minus(sinceGranted).plusSeconds(10));
                    assertThat(first.heartbeat(RESOURCE, "stranded"))
                            .as("the stranded holder's renewal is refused: it learns it lost the lock")
                            .isFalse();

                    // From the moment the promoted replica's clock passes the lost token, tokens pass it too.
                    Awaitility.await()
                            .atMost(TckTimings.scaled(Duration.ofSeconds(40)))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> CutOffReplica.micros(servers.onReplica) > stranded);
                    assertThat(next.unlock(RESOURCE, "next")).isTrue();
                    assertThat(next.lock(RESOURCE, "later", 0)).isTrue();
                    assertThat(next.inspect(RESOURCE).orElseThrow().fencingToken())
                            .isGreaterThan(stranded);
                }
            }
        }
    }

    @Test
    void N5_withReplicaAcksNoTokenThePromotedReplicaLacksIsHandedOut() throws Exception {
        Map<String, String> acks = Map.of(RedisSettings.REPLICA_ACKS, "1");
        try (CutOffReplica servers = CutOffReplica.start(dir, "-30s")) {
            assertReplicaBehind(servers, 30);
            try (LockManager first = open(servers.sentinelUri(), acks)) {
                long early = lockAndUnlockOnce(first);
                assertThat(servers.onReplica.sync().get(fence))
                        .as("acknowledged by the replica before the acquisition returned")
                        .isEqualTo(Long.toString(early));

                servers.cutReplication();
                long start = System.nanoTime();
                Throwable refused = catchThrowable(() -> first.lock(RESOURCE, "stranded", 0));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(refused)
                        .as("a grant no replica confirmed is not handed out")
                        .isInstanceOfSatisfying(
                                LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
                assertThat(took)
                        .isLessThan(TckTimings.scaled(
                                OPERATION_TIMEOUT.multipliedBy(2).plusSeconds(3)));
                assertThat(servers.onPrimary.sync().exists(keys.lease(RESOURCE)))
                        .as("the refused grant was undone on the primary (X5)")
                        .isZero();
                assertThat(Long.parseLong(servers.onPrimary.sync().get(fence)))
                        .as("its token was drawn on the primary, but never handed out")
                        .isGreaterThan(early);

                servers.failover();
                try (LockManager next = open(servers.sentinelUri(), acks)) {
                    // Acknowledged once the old primary, now a replica, has synchronised from the new one.
                    awaitLock(next, "next");
                    assertThat(next.inspect(RESOURCE).orElseThrow().fencingToken())
                            .as("larger than every token handed out, though the new primary's clock is 30 s behind")
                            .isGreaterThan(early);
                }
            }
        }
    }

    @Test
    void withReplicaAcksAnAcquisitionThatNoReplicaConfirmsFailsAndLeavesTheLockFree() throws Exception {
        try (PrivateRedisServer alone = PrivateRedisServer.start(dir);
                LockManager manager = open(alone.uri(), Map.of(RedisSettings.REPLICA_ACKS, "1"));
                LockManager plain = open(alone.uri(), Map.of())) {
            Throwable refused = catchThrowable(() -> manager.lock(RESOURCE, "c", 0));
            assertThat(refused)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                    .hasMessageContaining(RedisSettings.REPLICA_ACKS);
            assertThat(plain.inspect(RESOURCE)).isEmpty();
            assertThat(plain.lock(RESOURCE, "other", 0)).isTrue();
        }
    }

    private static void assertReplicaBehind(CutOffReplica servers, long seconds) {
        long lag = CutOffReplica.micros(servers.onPrimary) - CutOffReplica.micros(servers.onReplica);
        assertThat(lag)
                .as("the replica's clock (TIME) is behind the primary's by about %d s", seconds)
                .isBetween((seconds - 5) * 1_000_000L, (seconds + 5) * 1_000_000L);
    }

    private static long lockAndUnlockOnce(LockManager manager) {
        assertThat(manager.lock(RESOURCE, "early", 0)).isTrue();
        long token = manager.inspect(RESOURCE).orElseThrow().fencingToken();
        assertThat(manager.unlock(RESOURCE, "early")).isTrue();
        return token;
    }

    private static void awaitLock(LockManager manager, String clientId) {
        Awaitility.await()
                .atMost(TckTimings.scaled(Duration.ofSeconds(30)))
                .pollInterval(Duration.ofMillis(100))
                .ignoreException(LockException.class)
                .until(() -> manager.lock(RESOURCE, clientId, 0));
    }

    private static LockManager open(String uri, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(more);
        settings.put("dlm.redis.uri", uri);
        settings.put("dlm.lease.min", LEASE.toSeconds() + "s");
        settings.put("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms");
        return LockManagers.open("redis", settings);
    }
}
