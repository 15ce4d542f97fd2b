package io.dlm.cdi;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The real in-memory backend behind a decorator at the SPI boundary whose renewals a test scripts:
 * answered at once, refused, answered late, or never answered. Every other operation, and every
 * renewal that is answered, is the memory backend's own; nothing of the engine is mocked.
 *
 * <p>It renews asynchronously ({@link AsyncLockBackend}), as Lettuce, jetcd and Curator do, so the
 * runtime's single keep-alive thread sends all renewals and only their replies are late. The lock
 * space is still in this process only, so it keeps the memory backend's {@link
 * InProcessLockBackend} marker: the runtime wakes waiters on release itself.
 */
final class ScriptedBackend implements AsyncLockBackend, InProcessLockBackend {

    /** What a renewal gets as its answer. */
    enum Renewals {
        /** The memory backend's own answer, at once. */
        ANSWER,
        /** {@code false}, as an engine answers for a lease it no longer has. */
        REFUSE,
        /** The memory backend renews at once, but the reply arrives {@link #latency} later. */
        LATE,
        /** No reply, ever: the engine or the network hangs. */
        NEVER
    }

    final AtomicInteger renewals = new AtomicInteger();
    final AtomicInteger renewalsAfterRelease = new AtomicInteger();
    /** When each client's acquisition was asked of the engine ({@link System#nanoTime()}). */
    final Map<String, Long> acquireSentAt = new ConcurrentHashMap<>();

    volatile Renewals mode = Renewals.ANSWER;
    volatile Duration latency = Duration.ZERO;
    /** When set, a release fails as an unreachable engine's would, and releases nothing. */
    volatile boolean releasesFail;
    /** When set, a blocking renewal ({@code Lease.renew()}) fails as an unreachable engine's would. */
    volatile boolean blockingRenewalsFail;

    /**
     * Acquisitions released through this backend, as resource and token (tokens grow per resource),
     * to catch a renewal sent after its release (D4).
     */
    private final Set<String> released = ConcurrentHashMap.newKeySet();

    private final ScheduledExecutorService replies = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "scripted-engine-replies");
        thread.setDaemon(true);
        return thread;
    });
    private @Nullable LockBackend engine;

    /**
     * Puts the real backend behind this one; used as the decorator of {@code TckBackends.decorated}.
     *
     * @param real the memory backend, just opened by the runtime
     * @return this backend
     */
    LockBackend around(LockBackend real) {
        engine = real;
        return this;
    }

    private LockBackend engine() {
        return Objects.requireNonNull(engine, "not opened yet");
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        acquireSentAt.put(clientId, System.nanoTime());
        return engine().acquire(resourceId, clientId, leaseNanos, attempt);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        if (releasesFail) {
            throw new IllegalStateException("scripted: the engine did not answer the release");
        }
        released.add(resourceId + '#' + fencingToken);
        return engine().release(resourceId, clientId, fencingToken);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        count(resourceId, fencingToken);
        if (blockingRenewalsFail) {
            throw new IllegalStateException("the scripted engine did not answer the renewal");
        }
        return switch (mode) {
            case REFUSE -> false;
            case ANSWER -> engine().renew(resourceId, clientId, fencingToken);
            // A blocking renewal is never sent by the keep-alive of an async backend.
            case LATE, NEVER -> throw new UnsupportedOperationException("scripted renewals are asynchronous");
        };
    }

    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        count(resourceId, fencingToken);
        switch (mode) {
            case REFUSE:
                return CompletableFuture.completedFuture(false);
            case NEVER:
                return new CompletableFuture<>();
            case LATE:
                boolean renewed = engine().renew(resourceId, clientId, fencingToken);
                CompletableFuture<Boolean> reply = new CompletableFuture<>();
                replies.schedule(() -> reply.complete(renewed), latency.toNanos(), TimeUnit.NANOSECONDS);
                return reply;
            default:
                return CompletableFuture.completedFuture(engine().renew(resourceId, clientId, fencingToken));
        }
    }

    private void count(String resourceId, long fencingToken) {
        renewals.incrementAndGet();
        if (released.contains(resourceId + '#' + fencingToken)) {
            renewalsAfterRelease.incrementAndGet();
        }
    }

    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        engine().undo(resourceId, clientId, attempt);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return engine().inspect(resourceId);
    }

    @Override
    public Duration leaseGranularity() {
        return engine().leaseGranularity();
    }

    @Override
    public void close() {
        replies.shutdownNow();
        engine().close();
    }
}
