package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckBackends;
import io.dlm.tck.support.CapturedLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * E1 and E2 against etcd as it ships, with its default heartbeat interval and election timeout
 * (100 ms, 1 s), which the other tests speed up. Such a server grants no lease shorter than 2 s,
 * whatever TTL is asked for; a backend that declared a granularity of 1 s there would have the
 * runtime believe a lease over while etcd still holds it, up to a second longer (E2 broken). So the
 * backend asks etcd for its minimum when it opens, and declares that as its granularity: 2 s on
 * this server, 1 s on the tests' tuned one.
 */
class EtcdStockTimingTest {

    @RegisterExtension
    static final EtcdExtension STOCK = EtcdExtension.membersWithStockTimings(1);

    @RegisterExtension
    static final EtcdExtension TUNED = EtcdExtension.members(1);

    /** The lease a test asks for: far below etcd's minimum TTL on either server. */
    private static final Duration REQUESTED = Duration.ofMillis(300);

    /** etcd's leader looks for expired leases every 500 ms, so a key may outlive its TTL that much. */
    private static final Duration EXPIRY_LAG = Duration.ofMillis(500);

    /**
     * Time for the calls on a loaded machine. It stays below 500 ms, so that a backend declaring 1 s
     * on this server fails: the lock is then free 2 s after it was taken at the earliest, later
     * than 1 s + the lag + this.
     */
    private static final Duration TOLERANCE = Duration.ofMillis(400);

    private static final Duration POLL = Duration.ofMillis(20);

    /** E1: the granularity is etcd's minimum lease TTL, learnt from the server itself. */
    @Test
    void theDeclaredGranularityIsTheServersMinimumLeaseTtl() {
        assertThat(granularityOn(STOCK))
                .as("granularity on a server with etcd's default timings (minimum TTL 2 s)")
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(granularityOn(TUNED))
                .as("granularity on a server with 500 ms elections (minimum TTL 1 s)")
                .isEqualTo(Duration.ofSeconds(1));
    }

    /**
     * The probe's cost: one grant and one revocation when the backend opens, and the probe lease
     * is gone afterwards (it would otherwise linger a TTL on the server).
     */
    @Test
    void openingCostsOneGrantAndOneRevocation() {
        EtcdMember member = TUNED.members().get(0);
        double grants = TUNED.metric(member, "grpc_server_started_total", "grpc_method=\"LeaseGrant\"");
        double revocations = TUNED.metric(member, "grpc_server_started_total", "grpc_method=\"LeaseRevoke\"");
        granularityOn(TUNED);
        assertThat(TUNED.metric(member, "grpc_server_started_total", "grpc_method=\"LeaseGrant\"") - grants)
                .as("grants")
                .isEqualTo(1.0);
        assertThat(TUNED.metric(member, "grpc_server_started_total", "grpc_method=\"LeaseRevoke\"") - revocations)
                .as("revocations")
                .isEqualTo(1.0);
    }

    /**
     * E2: another client gets the lock once the lease ran out, never before the requested time.
     * The upper bound counts from the acquisition's return: etcd started the lease's TTL before
     * that, so a slow first call (a fresh JVM, a loaded machine) cannot push the expiry past it.
     */
    @Test
    void anExpiredLeaseIsFreeForAnotherClientWithinTheGranularityAndTheLag() throws InterruptedException {
        AtomicReference<Duration> granularity = new AtomicReference<>();
        try (LockManager manager = open(STOCK, granularity)) {
            Duration bound = granularity.get().plus(EXPIRY_LAG).plus(TOLERANCE);
            long start = System.nanoTime();
            assertThat(manager.tryAcquire("r", "holder", Duration.ZERO, REQUESTED))
                    .isPresent();
            long acquired = System.nanoTime();
            // Looks until well past the bound, so that a failure says how late the lock came free.
            long giveUp = acquired + bound.plusSeconds(2).toNanos();
            boolean taken = false;
            while (!taken && System.nanoTime() - giveUp < 0) {
                taken = manager.lock("r", "other", 0);
                if (!taken) {
                    TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
                }
            }
            long free = System.nanoTime();
            assertThat(taken)
                    .as("another client's lock within %s", bound.plusSeconds(2))
                    .isTrue();
            assertThat(Duration.ofNanos(free - start))
                    .as("time from the call to tryAcquire until another client's lock(r, c, 0) succeeded")
                    .isGreaterThanOrEqualTo(REQUESTED);
            assertThat(Duration.ofNanos(free - acquired))
                    .as(
                            "time from tryAcquire's return until another client's lock(r, c, 0) succeeded"
                                    + " (granularity %s)",
                            granularity.get())
                    .isLessThanOrEqualTo(bound);
        }
    }

    /**
     * E2, U2, H2: once the granularity and the lag have passed, the lock inspects empty, its former
     * holder can neither release nor renew it, and another client takes it at once.
     */
    @Test
    void anExpiredLeaseIsGoneForInspectionAndForItsFormerHolder() throws InterruptedException {
        AtomicReference<Duration> granularity = new AtomicReference<>();
        try (LockManager manager = open(STOCK, granularity)) {
            Duration bound = granularity.get().plus(EXPIRY_LAG).plus(TOLERANCE);
            assertThat(manager.tryAcquire("r", "holder", Duration.ZERO, REQUESTED))
                    .isPresent();
            // From the return, as above; etcd's expiry counts from before it.
            TimeUnit.NANOSECONDS.sleep(bound.toNanos());
            assertThat(manager.inspect("r"))
                    .as("inspect %s after the acquisition (granularity %s)", bound, granularity.get())
                    .isEmpty();
            assertThat(manager.unlock("r", "holder"))
                    .as("unlock of an expired lease")
                    .isFalse();
            assertThat(manager.heartbeat("r", "holder"))
                    .as("heartbeat of an expired lease")
                    .isFalse();
            assertThat(manager.lock("r", "other", 0))
                    .as("another client's lock")
                    .isTrue();
        }
    }

    /**
     * A cluster out of reach when the backend opens: opening still succeeds, as it always did (the
     * first operation reports the outage), within the operation timeout; the granularity is then
     * etcd's default minimum, 2 s, and a warning says so.
     */
    @Test
    void anUnreachableClusterAtOpenMeansEtcdsDefaultMinimumAndAWarning() throws IOException {
        Duration timeout = Duration.ofSeconds(1);
        Map<String, String> settings = Map.of(
                "dlm.etcd.endpoints", "http://127.0.0.1:" + closedPort(),
                "dlm.operation.timeout", timeout.toMillis() + "ms");
        try (CapturedLog log = new CapturedLog(MinimumTtl.class)) {
            long start = System.nanoTime();
            LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(settings));
            try {
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .as("time to open")
                        .isLessThan(timeout.plusSeconds(2));
                assertThat(backend.leaseGranularity()).isEqualTo(Duration.ofSeconds(2));
            } finally {
                backend.close();
            }
            assertThat(log.warnings())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                    .contains("minimum lease TTL", "2 s");
        }
    }

    /**
     * A grant longer than asked means the minimum learnt at open no longer holds (members with
     * other timings, a restart with new flags): the runtime's view of when locks end is then too
     * early, and a warning says so, once. Shown by asking the backend directly for less than its
     * declared granularity, which the runtime never does.
     */
    @Test
    void aGrantLongerThanAskedIsWarnedAboutOnce() {
        LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(settings(STOCK)));
        try (CapturedLog log = new CapturedLog(EtcdLockBackend.class)) {
            long oneSecond = Duration.ofSeconds(1).toNanos();
            assertThat(backend.acquire("a", "c", oneSecond, 1L).isAcquired()).isTrue();
            assertThat(backend.acquire("b", "c", oneSecond, 2L).isAcquired()).isTrue();
            assertThat(log.warnings())
                    .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                    .contains("granted a lease of 2 s where 1 s was asked for", "--election-timeout");
        } finally {
            backend.close();
        }
    }

    private static Duration granularityOn(EtcdExtension server) {
        LockBackend backend = new EtcdLockBackendProvider().open(BackendContext.of(settings(server)));
        try {
            return backend.leaseGranularity();
        } finally {
            backend.close();
        }
    }

    /** A manager, and the granularity its backend declared to it. */
    private static LockManager open(EtcdExtension server, AtomicReference<Duration> granularity) {
        return LockManagers.open(
                TckBackends.decorated("etcd", backend -> {
                    granularity.set(backend.leaseGranularity());
                    return backend;
                }),
                settings(server));
    }

    private static Map<String, String> settings(EtcdExtension server) {
        return server.settings(EtcdExtension.freshNamespace("stock-timing"));
    }

    /** A loopback port nobody listens on (bound, then released). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
