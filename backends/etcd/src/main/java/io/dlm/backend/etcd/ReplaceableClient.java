package io.dlm.backend.etcd;

import io.dlm.spi.WatchingLockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The backend's jetcd client, replaced when its connection died without a sign (SPEC N1, X1).
 *
 * <p>A partition, a dropped NAT or firewall entry, or a member host that vanished leave gRPC with
 * a connection that looks open and answers nothing; jetcd would send every call down it until
 * TCP's retransmissions give up (many minutes) or a keepalive ping goes unanswered, and gRPC's
 * pings cannot be frequent: etcd closes connections that ping more often than its {@code
 * --grpc-keepalive-min-time} (5 s by default), or at all while no stream is open. So whoever sees a
 * call go unanswered for the operation timeout calls {@link #suspectStall()}: a cheap read that
 * jetcd does not retry probes the client, and if that goes unanswered for an operation timeout
 * while nothing else came back on the client either, a new client (a new channel, new
 * connections) takes its place. A client that fails calls at once (no member reachable,
 * connection refused) is not stuck and is kept: gRPC reconnects it by itself.
 *
 * <p><b>Slow is not stalled (N7).</b> On a loaded host, a thousand leases kept alive send some
 * 3,000 keep-alives a second down the client's HTTP/2 connection, and the probe queues behind
 * them: it may miss its bound although the connection delivers answers all the time. Replacing
 * such a client would buy nothing and cost what goes over it (renewals failing on a new
 * connection that has yet to be set up, leases lost with them). So every client counts the
 * headers and messages that arrive on it ({@link InboundActivity}), and a probe that goes
 * unanswered replaces the client only if that count did not move for the whole probe window.
 *
 * <p>Watches opened on a replaced client keep it open until they are closed: a waiter's watch is
 * not cut by a replacement that a slow reply caused. A watch on a dead connection is ended by
 * gRPC's keepalive (its stream counts as an open call, so pings are allowed) and jetcd re-creates
 * it. A replaced client without watches is closed an operation timeout later, when the calls
 * under way on it have had their time.
 */
final class ReplaceableClient {

    private static final System.Logger LOG = System.getLogger(ReplaceableClient.class.getName());

    private final BiFunction<InboundActivity, CallOptionsInterceptor.Capture, Client> opener;
    private final ExecutorService executor;
    private final Duration timeout;
    private final ByteSequence probeKey;
    private final AtomicBoolean probing = new AtomicBoolean();
    private final Object lock = new Object();
    /** Replaced clients still used by open watches; guarded by {@link #lock}. */
    private final List<Generation> retired = new ArrayList<>();
    /** Replaced clients no watch uses, closed once the calls under way on them had their time. */
    private final List<Generation> draining = new ArrayList<>();

    private volatile Generation current;
    private volatile boolean closed;

    /**
     * Builds the first client (jetcd connects lazily, on the first call).
     *
     * @param opener builds a client from the backend's settings with the given interceptor
     *     installed on its channel, and a {@link CallOptionsInterceptor} that fills the given
     *     capture; does not block
     * @param executor runs probes' outcomes and closes replaced clients
     * @param timeout the operation timeout, which bounds a probe
     * @param probeKey a key the probe reads (the namespace itself, which the user may read)
     */
    ReplaceableClient(
            BiFunction<InboundActivity, CallOptionsInterceptor.Capture, Client> opener,
            ExecutorService executor,
            Duration timeout,
            ByteSequence probeKey) {
        this.opener = opener;
        this.executor = executor;
        this.timeout = timeout;
        this.probeKey = probeKey;
        this.current = new Generation(opener, executor, timeout);
    }

    /** The key-value client of the current connection. */
    KV kv() {
        return current.kv;
    }

    /** The lease client of the current connection. */
    Lease leases() {
        return current.leases;
    }

    /**
     * One keep-alive of a lease on the current connection, over a stream that stays open ({@link
     * KeepAliveStream}), or jetcd's own keep-alive until the client has made its first call.
     *
     * @param leaseId the lease
     * @return the TTL etcd reset it to; fails as {@link OperationBudget#isLeaseNotFound} tells when
     *     etcd no longer knows the lease
     */
    CompletableFuture<Long> keepAliveOnce(long leaseId) {
        Generation generation = current;
        CompletableFuture<Long> answer = generation.keepAlives.keepAlive(leaseId);
        return answer != null
                ? answer
                : generation.leases.keepAliveOnce(leaseId).thenApply(LeaseKeepAliveResponse::getTTL);
    }

    /**
     * Sends a transaction on the current connection as a plain gRPC call ({@link
     * DirectTransactions}).
     *
     * @param request the transaction
     * @return its answer, or {@code null} when it must go through jetcd's key-value client instead
     */
    @Nullable
    CompletableFuture<io.etcd.jetcd.kv.TxnResponse> transactDirectly(TxnRequest request) {
        return current.transactions.send(request);
    }

    /**
     * Opens a watch on the current client and keeps that client open until the watch is closed.
     *
     * @param open opens the watch with the given watch client
     * @return the watch, whose {@code close} also lets a replaced client go
     */
    WatchingLockBackend.Watch watch(Function<Watch, WatchingLockBackend.Watch> open) {
        Generation generation;
        for (; ; ) {
            generation = current;
            generation.users.incrementAndGet();
            // Counted before a replacement looked at the count, or replaced already: then try anew.
            if (generation == current) {
                break;
            }
            release(generation);
        }
        Generation used = generation;
        WatchingLockBackend.Watch watch;
        try {
            watch = open.apply(generation.watches);
        } catch (RuntimeException e) {
            release(used);
            throw e;
        }
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            try {
                watch.close();
            } finally {
                if (done.compareAndSet(false, true)) {
                    release(used);
                }
            }
        };
    }

    /**
     * Tells whether a failure means that a call went unanswered: the operation's own timeout, or
     * gRPC's deadline, which carries the same timeout.
     *
     * @param failure the failure or its cause
     * @return whether the call timed out
     */
    static boolean isTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || Status.fromThrowable(t).getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return true;
            }
        }
        return false;
    }

    /**
     * Told that a call went unanswered for the operation timeout: probes the current client with a
     * read bounded by the operation timeout and replaces the client if the read goes unanswered
     * and nothing else arrived on the client meanwhile either. Returns at once; at most one probe
     * runs at a time.
     */
    void suspectStall() {
        if (closed || !probing.compareAndSet(false, true)) {
            return;
        }
        Generation suspect = current;
        // Read before the probe is sent: whatever arrives from here on proves the client alive.
        long arrivedBefore = suspect.inbound.arrivals();
        CompletableFuture<?> probe;
        try {
            // A transaction, because jetcd retries a plain get while the member refuses connections:
            // the probe would then look unanswered when the member is merely down, and a client
            // would be replaced for nothing. A refused probe fails at once and keeps the client.
            probe = suspect.kv
                    .txn()
                    .Then(Op.get(
                            probeKey, GetOption.builder().withCountOnly(true).build()))
                    .commit()
                    .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            probing.set(false); // closing
            return;
        }
        probe.whenCompleteAsync(
                (answer, failure) -> {
                    try {
                        if (failure == null || !isTimeout(failure)) {
                            return; // answered, or refused at once: not stuck
                        }
                        if (suspect.inbound.arrivals() != arrivedBefore) {
                            LOG.log(
                                    Level.DEBUG,
                                    "Kept the etcd client: a probe went unanswered for {0}, but other answers"
                                            + " arrived on it meanwhile (slow, not stalled)",
                                    timeout);
                            return;
                        }
                        replace(suspect);
                    } finally {
                        probing.set(false);
                    }
                },
                executor);
    }

    private void replace(Generation suspect) {
        Generation fresh;
        synchronized (lock) {
            if (closed || current != suspect) {
                return;
            }
            fresh = new Generation(opener, executor, timeout);
            current = fresh;
            retired.add(suspect);
        }
        LOG.log(
                Level.WARNING,
                "Replaced the etcd client: a call and a probe went unanswered and nothing at all arrived on it"
                        + " within {0}; new calls go over new connections",
                timeout);
        release(suspect, suspect.users.get());
    }

    private void release(Generation generation) {
        release(generation, generation.users.decrementAndGet());
    }

    /**
     * Closes a replaced client once no watch uses it any more, one operation timeout later: a probe
     * that went unanswered on a merely slow engine must not fail the calls still under way on the
     * old client (N7: a thousand renewals in flight), and none of them outlives its timeout.
     */
    private void release(Generation generation, int users) {
        if (users > 0) {
            return;
        }
        synchronized (lock) {
            if (!retired.remove(generation)) {
                return; // still current, or closed already
            }
            draining.add(generation);
        }
        try {
            CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS, executor)
                    .execute(() -> closeDrained(generation));
        } catch (RejectedExecutionException e) {
            closeDrained(generation); // the backend is closing
        }
    }

    private void closeDrained(Generation generation) {
        synchronized (lock) {
            if (!draining.remove(generation)) {
                return; // closed with the backend already
            }
        }
        generation.close();
    }

    /** Closes the current client and every replaced one. */
    void close() {
        List<Generation> all;
        synchronized (lock) {
            closed = true;
            all = new ArrayList<>(retired);
            all.addAll(draining);
            retired.clear();
            draining.clear();
            all.add(current);
        }
        for (Generation generation : all) {
            generation.close();
        }
    }

    /** One jetcd client, what arrives on it, and the sub-clients taken from it once. */
    private static final class Generation {
        final InboundActivity inbound = new InboundActivity();
        final Client client;
        final KV kv;
        final Lease leases;
        final Watch watches;
        final KeepAliveStream keepAlives;
        final DirectTransactions transactions;
        /** Open watches on this client. */
        final AtomicInteger users = new AtomicInteger();

        Generation(
                BiFunction<InboundActivity, CallOptionsInterceptor.Capture, Client> opener,
                ExecutorService executor,
                Duration timeout) {
            CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
            this.client = opener.apply(inbound, capture);
            this.kv = client.getKVClient();
            this.leases = client.getLeaseClient();
            this.watches = client.getWatchClient();
            this.keepAlives = new KeepAliveStream(capture, inbound, executor, timeout);
            this.transactions = new DirectTransactions(capture, inbound, timeout);
        }

        void close() {
            keepAlives.close();
            client.close();
        }
    }
}
