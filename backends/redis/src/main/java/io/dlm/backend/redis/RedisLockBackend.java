package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.WatchingLockBackend;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The {@code redis} backend: one lock space in Redis, shared by every manager that uses the same
 * server and key prefix.
 *
 * <p>Each operation is one Lua script, one round trip ({@link LockScripts}): acquire sets the lease
 * hash with its expiry, the runtime's attempt id and the fencing token drawn from the resource's
 * counter (F1); release and renew compare the owner and, unless asked for any acquisition, the
 * token first (U2, H2, K4); undo compares the owner and the attempt id (X5); leases expire by
 * Redis's clock (E2, E3). Renewals can also be sent without blocking ({@link #renewAsync}). A release
 * publishes on the resource's channel, which waiters of every process subscribe to while they wait
 * (L4, U3); an expiry is announced by nobody, so the runtime wakes the head waiter when the
 * holder's remaining time, read from {@code PTTL}, is up.
 *
 * <p>Leases are kept in whole milliseconds, rounded up (E1). Safety class (M3): best effort under
 * failover. Redis replicates asynchronously, so a failover can lose a lease that was granted;
 * fencing tokens are the defence, and {@link ReplicaAcks} keeps them growing across a failover
 * when asked to.
 *
 * <p>For operators (O4), {@link #list} scans this prefix's lease keys ({@link LeaseScan}) and
 * {@link #forceRelease} deletes a lease whoever holds it ({@link LockScripts#FORCE_RELEASE}).
 */
final class RedisLockBackend
        implements WatchingLockBackend, AsyncLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    private static final System.Logger LOG = System.getLogger(RedisLockBackend.class.getName());

    private static final String[] NO_ARGS = new String[0];
    private static final long NANOS_PER_MILLI = 1_000_000L;

    /**
     * How long an undo's tombstone lasts: 16 minutes, past the roughly 15 minutes that Linux
     * (net.ipv4.tcp_retries2 = 15) keeps retransmitting unanswered bytes before it drops them.
     */
    static final long TOMBSTONE_MILLIS = 16 * 60_000L;

    private final RedisSettings settings;
    private final RedisConnections connections;
    private final RedisKeys keys;
    private final ScriptRunner scripts;
    /** Acquisitions and their undos: {@link #scripts}, or their own connection with replica acks. */
    private final ScriptRunner acquisitions;
    /** With {@code dlm.redis.replica-acks} above 0: holds each grant back until replicas have it. */
    private final @Nullable ReplicaAcks replicaAcks;

    private final ReleaseSubscriptions subscriptions;
    private final HeldLeases held;
    private final LeaseScan leaseScan;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Creates the backend over open connections, which it then owns.
     *
     * @param settings the checked settings
     * @param connections the open client
     */
    RedisLockBackend(RedisSettings settings, RedisConnections connections) {
        this.settings = settings;
        this.connections = connections;
        this.keys = new RedisKeys(settings.keyPrefix());
        this.scripts = new ScriptRunner(
                connections::commands, settings.operationTimeout(), connections.timer(), connections::suspectStall);
        ReplaceableConnection<RedisAsyncCommands<String, String>> own = connections.acquisitionConnection();
        if (own == null) {
            this.acquisitions = scripts;
            this.replicaAcks = null;
        } else {
            this.acquisitions = new ScriptRunner(
                    own::commands, settings.operationTimeout(), connections.timer(), own::suspectStall);
            this.replicaAcks = new ReplicaAcks(own::commands, settings.replicaAcks(), settings.operationTimeout());
        }
        this.subscriptions = new ReleaseSubscriptions(connections, settings.operationTimeout());
        this.held = new HeldLeases(settings.operationTimeout().toNanos());
        this.leaseScan = new LeaseScan(connections::commands, scripts, keys, settings.operationTimeout());
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        long leaseMillis = ceilMillis(leaseNanos);
        long start = System.nanoTime();
        List<Object> reply;
        long status;
        long value;
        try {
            reply = acquisitions.run(
                    LockScripts.ACQUIRE,
                    ScriptOutputType.MULTI,
                    keys.acquisition(resourceId, attempt),
                    new String[] {clientId, Long.toString(leaseMillis), Long.toString(attempt)},
                    resourceId);
            status = integer(reply, 0, resourceId);
            value = integer(reply, 1, resourceId);
            if (status == 0 && replicaAcks != null) {
                replicaAcks.confirm(
                        resourceId, start + settings.operationTimeout().toNanos());
            }
        } catch (RuntimeException e) {
            // No reply, one we cannot read, or a grant too few replicas have: Redis may hold the
            // lease, or may yet grant it (X5).
            held.unsettled(resourceId, clientId, attempt, leaseNanos, start);
            throw e;
        }
        if (status == 0) {
            held.acquired(resourceId, clientId, attempt, value, leaseNanos, start);
            return Acquisition.acquired(value);
        }
        if (status == 3) {
            // Undone before it arrived: its caller has given up on it long ago (X5).
            return Acquisition.held(0);
        }
        long remainingNanos = remainingUpperBound(value, resourceId);
        return status == 1 ? Acquisition.heldByCaller(remainingNanos) : Acquisition.held(remainingNanos);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        Object released = scripts.run(
                LockScripts.RELEASE,
                ScriptOutputType.INTEGER,
                new String[] {keys.lease(resourceId)},
                new String[] {clientId, Long.toString(fencingToken), keys.releaseChannel(resourceId)},
                resourceId);
        held.ended(resourceId, clientId, fencingToken);
        return isOne(released);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        long start = System.nanoTime();
        Object renewed = scripts.run(
                LockScripts.RENEW,
                ScriptOutputType.INTEGER,
                new String[] {keys.lease(resourceId)},
                new String[] {clientId, Long.toString(fencingToken)},
                resourceId);
        return renewed(resourceId, clientId, fencingToken, start, renewed);
    }

    /** {@inheritDoc} One script, answered on a Lettuce thread; nothing waits for it here (K1). */
    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        long start = System.nanoTime();
        return scripts.<Object>startWithin(
                        LockScripts.RENEW,
                        ScriptOutputType.INTEGER,
                        new String[] {keys.lease(resourceId)},
                        new String[] {clientId, Long.toString(fencingToken)},
                        resourceId)
                .thenApply(renewed -> renewed(resourceId, clientId, fencingToken, start, renewed));
    }

    private boolean renewed(String resourceId, String clientId, long fencingToken, long start, Object reply) {
        if (isOne(reply)) {
            held.renewed(resourceId, clientId, fencingToken, start);
            return true;
        }
        held.ended(resourceId, clientId, fencingToken);
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code EVAL} of {@link LockScripts#UNDO}, on the connection that carried the
     * acquisition where it still can. Order does not matter, though: an undo that finds nothing
     * leaves a tombstone for the attempt, and an acquisition that reaches Redis after it (on a
     * connection replaced meanwhile, or held up in the network) takes nothing. The tombstone lasts
     * {@link #TOMBSTONE_MILLIS}: longer than Linux keeps retransmitting the bytes of a connection
     * that gets no answer, after which they are dropped. Waits for the reply up to the operation
     * timeout; if none comes, the attempt stays in the record of held leases as unsettled, {@link
     * #close()} undoes it again, and this throws so that the runtime tries again (N3).
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        held.undoing(resourceId, clientId, attempt);
        try {
            acquisitions.runInOrder(
                    LockScripts.UNDO,
                    ScriptOutputType.INTEGER,
                    keys.undo(resourceId, attempt),
                    undoArgs(resourceId, clientId, attempt),
                    resourceId);
            // Deleted, or not there: either way this attempt holds nothing now, nor will later.
            held.undone(resourceId, clientId, attempt);
        } catch (RuntimeException e) {
            // Best effort (X5): the undo may still be applied in its place; close() tries again,
            // and what neither reaches expires by its lease.
            LOG.log(Level.DEBUG, "Undoing an acquisition of {0} by {1} failed: {2}", resourceId, clientId, e);
            throw e;
        }
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return onLease(LockScripts.INSPECT, NO_ARGS, resourceId);
    }

    /** Runs a script on the resource's lease key that answers the lease it found there, if any. */
    private Optional<LockInfo> onLease(LockScripts.Script script, String[] args, String resourceId) {
        List<Object> reply =
                scripts.run(script, ScriptOutputType.MULTI, new String[] {keys.lease(resourceId)}, args, resourceId);
        return lease(resourceId, reply);
    }

    /** Reads a reply of {@code {owner, token, pttl}}, or an empty one for a free resource. */
    private static Optional<LockInfo> lease(String resourceId, List<Object> reply) {
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        if (reply.size() != 3 || !(reply.get(0) instanceof String owner) || !(reply.get(1) instanceof String token)) {
            throw unexpected(resourceId, reply);
        }
        long fencingToken;
        try {
            fencingToken = Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw unexpected(resourceId, reply);
        }
        long pttl = integer(reply, 2, resourceId);
        if (pttl < 0) {
            throw noExpiry(resourceId);
        }
        // PTTL truncates: a lease with 0 ms left is still live for up to a millisecond.
        return Optional.of(new LockInfo(resourceId, owner, fencingToken, Duration.ofMillis(Math.max(1, pttl))));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Scans only this backend's key prefix; with more than {@code limit} matching leases, the
     * ones listed are those the scan met first. Each key is listed once, keys that are not leases
     * (not hashes) are skipped, and the whole listing must end within the operation timeout, else
     * it fails with {@code INTERNAL_ERROR} ({@link LeaseScan}).
     */
    @Override
    public List<LockInfo> list(String prefix, int limit) {
        return leaseScan.list(prefix, limit);
    }

    /** {@inheritDoc} One script: reads, deletes and announces the lease at once. */
    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        return onLease(LockScripts.FORCE_RELEASE, new String[] {keys.releaseChannel(resourceId)}, resourceId);
    }

    /** {@inheritDoc} Redis counts expiries in milliseconds. */
    @Override
    public Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }

    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return subscriptions.watch(keys.releaseChannel(resourceId), onMaybeFree);
    }

    /**
     * Releases every lease acquired here that may still be live, all at once and within the
     * operation timeout, then closes the connections and stops the threads (C1).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Duration timeout = settings.operationTimeout();
        // First, so that a waiter blocked on a subscription is failed at once rather than at the timeout.
        subscriptions.close();
        try {
            releaseAll(timeout);
        } finally {
            connections.close(timeout);
        }
    }

    private void releaseAll(Duration timeout) {
        List<HeldLeases.Held> live = held.live();
        if (live.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<Object>> releases = new ArrayList<>(live.size());
        for (HeldLeases.Held lease : live) {
            if (System.nanoTime() - deadline >= 0) {
                break; // C1: what is not released by now expires by its lease
            }
            String[] leaseKey = {keys.lease(lease.resourceId)};
            String[] undoKeys = keys.undo(lease.resourceId, lease.attempt);
            // By token or by attempt, never by client alone: the client may hold it through another manager now.
            releases.add(
                    lease.isUnsettled()
                            ? acquisitions.start(
                                    LockScripts.UNDO,
                                    ScriptOutputType.INTEGER,
                                    undoKeys,
                                    undoArgs(lease.resourceId, lease.clientId, lease.attempt),
                                    false)
                            : scripts.start(
                                    LockScripts.RELEASE,
                                    ScriptOutputType.INTEGER,
                                    leaseKey,
                                    new String[] {
                                        lease.clientId,
                                        Long.toString(lease.token),
                                        keys.releaseChannel(lease.resourceId)
                                    },
                                    true));
        }
        // One by one, not through allOf: with a million releases outstanding, allOf's tree of
        // dependent stages made every release that failed at the connection's close build and
        // pass on an exception of its own, which kept close() busy for minutes.
        for (CompletableFuture<Object> release : releases) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                release.get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                // Best effort (C1): a lease that could not be released expires by itself.
            } catch (TimeoutException e) {
                return;
            }
        }
    }

    private String[] undoArgs(String resourceId, String clientId, long attempt) {
        return new String[] {
            clientId, Long.toString(attempt), keys.releaseChannel(resourceId), Long.toString(TOMBSTONE_MILLIS)
        };
    }

    private static long ceilMillis(long nanos) {
        long millis = nanos / NANOS_PER_MILLI;
        return nanos % NANOS_PER_MILLI == 0 ? millis : millis + 1;
    }

    /**
     * When a held lease ends at the latest, from its {@code PTTL}: one millisecond more, because
     * {@code PTTL} truncates and Redis expires a key only after its deadline has passed.
     */
    private static long remainingUpperBound(long pttl, String resourceId) {
        if (pttl < 0) {
            throw noExpiry(resourceId);
        }
        return (pttl + 1) * NANOS_PER_MILLI;
    }

    private static boolean isOne(Object reply) {
        return reply instanceof Long value && value == 1L;
    }

    private static long integer(List<Object> reply, int index, String resourceId) {
        if (reply.size() <= index || !(reply.get(index) instanceof Long value)) {
            throw unexpected(resourceId, reply);
        }
        return value;
    }

    private static LockException unexpected(String resourceId, List<Object> reply) {
        return new LockException(
                LockError.INTERNAL_ERROR, "Unexpected reply from Redis for '" + resourceId + "': " + reply);
    }

    private static LockException noExpiry(String resourceId) {
        return new LockException(
                LockError.INTERNAL_ERROR,
                "The lease key of '" + resourceId + "' has no expiry; something other than DLM wrote to it");
    }
}
