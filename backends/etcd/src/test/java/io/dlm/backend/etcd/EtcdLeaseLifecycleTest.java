package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runtime's lease lifecycle on a real etcd: a lock on a pooled lease lives its whole lease from
 * the acquire call (K2), etcd's word that a lease is gone reaches the runtime at once (K3), and
 * release and renewal act on one acquisition only (K4), blocking or not (K1). Leases are read and
 * revoked behind DLM's back with a plain jetcd client, as an operator with {@code etcdctl} would.
 */
class EtcdLeaseLifecycleTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private final String namespace = EtcdExtension.freshNamespace("lifecycle");
    private final Client raw =
            Client.builder().endpoints(ETCD.endpoints().split(",")).build();

    @AfterEach
    void closeClient() {
        raw.close();
    }

    /**
     * K2: the pool hands out a lease that was last refreshed a while before the call (here 3-5 s of
     * 10 s gone). The acquisition must still last 10 s from the call, on the server, not just the
     * 5-7 s the idle lease had left.
     */
    @Test
    void K2_aLockOnALeaseThatIdledInThePoolLivesItsWholeLeaseFromTheCall() throws Exception {
        Duration leaseTime = Duration.ofSeconds(10);
        try (LockManager manager = ETCD.open(namespace);
                LockManager other = ETCD.open(namespace)) {
            Lease warmUp =
                    manager.tryAcquire("warm-up", "c", Duration.ZERO, leaseTime).orElseThrow();
            long idleLease = keyValue("warm-up").getLease();
            assertThat(warmUp.release()).isTrue();
            // The released lock's lease now idles in the pool; let it age, but not so much that the
            // pool (which reuses leases with half their TTL left) would drop it.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> ttlOf(idleLease) <= 6);

            long called = System.nanoTime();
            Lease lease =
                    manager.tryAcquire("k2", "c", Duration.ZERO, leaseTime).orElseThrow();
            assertThat(keyValue("k2").getLease())
                    .as("the pooled lease was reused, so this tests the pool")
                    .isEqualTo(idleLease);
            assertThat(ttlOf(idleLease))
                    .as("etcd counts the lease from the acquisition (whole seconds, truncated)")
                    .isGreaterThanOrEqualTo(leaseTime.toSeconds() - 1);

            // Past the idle lease's old end (at most 7 s after the call, plus etcd's 500 ms expiry
            // sweep), the lock still holds on the server, and the runtime's lease is still valid.
            Duration watched = Duration.ofSeconds(8).minusNanos(System.nanoTime() - called);
            Awaitility.await()
                    .during(watched)
                    .atMost(watched.plusSeconds(5))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> lease.isValid()
                            && other.tryAcquire("k2", "d", Duration.ZERO, leaseTime)
                                    .isEmpty());
            assertThat(manager.inspect("k2"))
                    .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(lease.fencingToken()));
            assertThat(lease.release()).isTrue();
        }
    }

    /**
     * K3: a heartbeat by resource and client that finds the lease gone on etcd tells the runtime,
     * whose {@code Lease} of that acquisition is then lost at once, not at its local deadline.
     */
    @Test
    void K3_aLeaseEtcdNoLongerKnowsIsReportedLostAtOnce() throws Exception {
        try (LockManager manager = ETCD.open(namespace)) {
            Lease lease = manager.tryAcquire("revoked", "c", Duration.ZERO, Duration.ofSeconds(60))
                    .orElseThrow();
            CompletableFuture<LockException> lost = lease.lost().toCompletableFuture();
            raw.getLeaseClient().revoke(keyValue("revoked").getLease()).get(10, TimeUnit.SECONDS);

            assertThat(manager.heartbeat("revoked", "c")).isFalse();
            LockException loss = lost.get(5, TimeUnit.SECONDS);
            assertThat(loss.error()).isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(lease.isValid()).isFalse();
        }
    }

    /** K1, K3: a kept-alive lease whose etcd lease is revoked is lost at the next renewal. */
    @Test
    void K3_aKeptAliveLeaseIsLostWhenItsEtcdLeaseIsRevoked() throws Exception {
        try (LockManager manager = ETCD.open(namespace, "dlm.heartbeat.interval", "200ms")) {
            Lease lease = manager.tryAcquire("kept", "c", Duration.ZERO, Duration.ofSeconds(60))
                    .orElseThrow()
                    .keepAlive();
            raw.getLeaseClient().revoke(keyValue("kept").getLease()).get(10, TimeUnit.SECONDS);
            LockException loss = lease.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(loss.error()).isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(manager.inspect("kept")).isEmpty();
        }
    }

    /**
     * E2, N4: an acquisition that finds the lock held reports how long the holder's lease has left
     * (etcd's time to live, rounded up to the second), not the whole TTL written in the key: a
     * waiter whose notification was lost looks again when that lease can end, never later.
     */
    @Test
    void anAcquisitionThatFindsTheLockHeldReportsTheTimeTheHoldersLeaseHasLeft() throws Exception {
        LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(ETCD.settings(namespace)));
        try {
            long lease = Duration.ofSeconds(10).toNanos();
            assertThat(backend.acquire("held", "holder", lease, 1L).isAcquired())
                    .isTrue();
            long acquired = System.nanoTime();
            Thread.sleep(3_000); // a third of the lease passes, as a step of the scenario

            Acquisition found = backend.acquire("held", "waiter", lease, 2L);
            long elapsed = System.nanoTime() - acquired;
            assertThat(found.status()).isEqualTo(Acquisition.Status.HELD);
            assertThat(Duration.ofNanos(found.remainingNanos()))
                    .as("what the holder's lease has left, rounded up to the next second")
                    .isLessThanOrEqualTo(Duration.ofNanos(lease - elapsed).plusSeconds(1))
                    .isGreaterThanOrEqualTo(Duration.ofNanos(lease - elapsed).minusSeconds(1));
        } finally {
            backend.close();
        }
    }

    /**
     * K4, K1: release and renewal, blocking or not, act only on the acquisition their token names;
     * a later acquisition of the same client is left alone, through this backend or another.
     */
    @Test
    void K4_releaseAndRenewalActOnlyOnTheAcquisitionTheTokenNames() throws Exception {
        Map<String, String> settings = ETCD.settings(namespace);
        LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(settings));
        LockBackend elsewhere = new EtcdLockBackendProvider().open(BackendContext.of(settings));
        try {
            AsyncLockBackend async = (AsyncLockBackend) backend;
            long lease = Duration.ofSeconds(60).toNanos();
            Acquisition first = backend.acquire("r", "c", lease, 1L);
            long token = first.fencingToken();
            assertThat(backend.renew("r", "c", token)).isTrue();
            assertThat(renewAsync(async, "r", "c", token)).isTrue();
            assertThat(renewAsync(async, "r", "c", token + 1)).isFalse();
            assertThat(renewAsync(async, "r", "d", token)).isFalse();
            assertThat(backend.renew("r", "c", token + 1)).isFalse();
            assertThat(backend.release("r", "c", token + 1)).isFalse();
            assertThat(backend.inspect("r")).isPresent();

            // The first acquisition ends behind the backend's back; the client acquires again.
            raw.getLeaseClient().revoke(keyValue("r").getLease()).get(10, TimeUnit.SECONDS);
            assertThat(renewAsync(async, "r", "c", token)).isFalse();
            long later = backend.acquire("r", "c", lease, 2L).fencingToken();
            assertThat(later).isGreaterThan(token);

            assertThat(backend.renew("r", "c", token)).isFalse();
            assertThat(renewAsync(async, "r", "c", token)).isFalse();
            assertThat(backend.release("r", "c", token)).isFalse();
            assertThat(elsewhere.renew("r", "c", token)).isFalse();
            assertThat(elsewhere.release("r", "c", token)).isFalse();
            assertThat(backend.inspect("r"))
                    .hasValueSatisfying(info -> assertThat(info.fencingToken()).isEqualTo(later));

            assertThat(renewAsync((AsyncLockBackend) elsewhere, "r", "c", later))
                    .isTrue();
            assertThat(backend.renew("r", "c", LockBackend.ANY_ACQUISITION)).isTrue();
            assertThat(backend.release("r", "c", later)).isTrue();
            assertThat(backend.inspect("r")).isEmpty();
        } finally {
            backend.close();
            elsewhere.close();
        }
    }

    private static boolean renewAsync(AsyncLockBackend backend, String resourceId, String clientId, long token)
            throws Exception {
        return backend.renewAsync(resourceId, clientId, token)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    private KeyValue keyValue(String resourceId) throws Exception {
        List<KeyValue> found = raw.getKVClient()
                .get(ByteSequence.from(namespace + resourceId, StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS)
                .getKvs();
        assertThat(found).as("key of %s", resourceId).hasSize(1);
        return found.get(0);
    }

    /** The lease's remaining TTL as etcd reports it: whole seconds, truncated; -1 once gone. */
    private long ttlOf(long leaseId) throws Exception {
        return raw.getLeaseClient()
                .timeToLive(leaseId, LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS)
                .getTTL();
    }
}
