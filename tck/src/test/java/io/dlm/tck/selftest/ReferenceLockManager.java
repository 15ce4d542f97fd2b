package io.dlm.tck.selftest;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockedWork;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An obviously correct {@link LockManager}, small enough to trust by reading, against which the
 * TCK proves it passes; with a {@link Flaw} it is wrong in exactly one way, and the TCK proves it
 * notices. Argument checks, settings and close rules live here; lock state lives in {@link
 * LockSpace}, which several managers share when the fixture simulates a remote engine.
 */
final class ReferenceLockManager implements LockManager {

    private static final int MAX_ID_LENGTH = 1024;

    private final Flaw flaw;
    private final Settings settings;
    private final LockSpace space;
    private final boolean ownsSpace;
    private final long granularityNanos;
    private volatile boolean closed;

    /**
     * @param space the space to share, or {@code null} for a private one (in-process semantics)
     * @param granularity leases are rounded up to a multiple of it, as a coarse engine would
     */
    ReferenceLockManager(Map<String, String> properties, Flaw flaw, LockSpace space, Duration granularity) {
        this.flaw = flaw;
        this.settings = new Settings(properties);
        this.ownsSpace = space == null;
        this.space = space == null ? new LockSpace(flaw) : space;
        this.granularityNanos = granularity.toNanos();
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        checkIds(resourceId, clientId);
        if (timeoutMillis < 0 && flaw != Flaw.NO_VALIDATION) {
            throw new IllegalArgumentException("timeoutMillis must not be negative: " + timeoutMillis);
        }
        long waitNanos = timeoutMillis >= Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : timeoutMillis * 1_000_000;
        return acquire(resourceId, clientId, waitNanos, settings.leaseForTimeout(timeoutMillis)) != null;
    }

    @Override
    public Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime) {
        checkIds(resourceId, clientId);
        if (flaw != Flaw.NO_VALIDATION) {
            if (wait == null || wait.isNegative()) {
                throw new IllegalArgumentException("wait must be zero or positive: " + wait);
            }
            if (leaseTime == null || leaseTime.isNegative() || leaseTime.isZero()) {
                throw new IllegalArgumentException("leaseTime must be positive: " + leaseTime);
            }
        }
        LockSpace.Holder holder =
                acquire(resourceId, clientId, Settings.saturatedNanos(wait), settings.clamp(leaseTime));
        return holder == null ? Optional.empty() : Optional.of(new ReferenceLease(resourceId, clientId, holder.token));
    }

    private LockSpace.Holder acquire(String resourceId, String clientId, long waitNanos, long leaseNanos) {
        checkOpen();
        if (Thread.interrupted()) {
            throw interrupted(resourceId, new InterruptedException("interrupted before acquiring"));
        }
        try {
            return space.acquire(this, resourceId, clientId, waitNanos, roundUp(leaseNanos), () -> closed);
        } catch (InterruptedException e) {
            throw interrupted(resourceId, e);
        }
    }

    private static LockException interrupted(String resourceId, InterruptedException cause) {
        Thread.currentThread().interrupt();
        return new LockException(LockError.INTERNAL_ERROR, "interrupted while acquiring " + resourceId, cause);
    }

    private long roundUp(long leaseNanos) {
        long units = leaseNanos / granularityNanos + (leaseNanos % granularityNanos == 0 ? 0 : 1);
        return units > Long.MAX_VALUE / granularityNanos ? Long.MAX_VALUE : units * granularityNanos;
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        checkIds(resourceId, clientId);
        checkOpen();
        return space.unlock(resourceId, clientId);
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        checkIds(resourceId, clientId);
        checkOpen();
        return space.renew(resourceId, clientId);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        checkId("resourceId", resourceId);
        checkOpen();
        return space.inspect(resourceId);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        space.closeOwner(this);
        if (ownsSpace) {
            space.shutdown();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("lock manager is closed");
        }
    }

    private void checkIds(String resourceId, String clientId) {
        checkId("resourceId", resourceId);
        checkId("clientId", clientId);
    }

    /** V1 and V2: non-empty, at most 1024 chars, no unpaired surrogate. */
    private void checkId(String parameter, String id) {
        if (flaw == Flaw.NO_VALIDATION) {
            return;
        }
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(parameter + " must have 1 to 1024 chars");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                    ? i + 1 < id.length() && Character.isLowSurrogate(id.charAt(++i))
                    : !Character.isLowSurrogate(c);
            if (!paired) {
                throw new IllegalArgumentException(parameter + " has an unpaired surrogate at index " + i);
            }
        }
    }

    /** A held lock as one object; every method goes through the manager, closed check included. */
    private final class ReferenceLease implements Lease {
        private final String resourceId;
        private final String clientId;
        private final long token;

        ReferenceLease(String resourceId, String clientId, long token) {
            this.resourceId = resourceId;
            this.clientId = clientId;
            this.token = token;
        }

        @Override
        public String resourceId() {
            return resourceId;
        }

        @Override
        public String clientId() {
            return clientId;
        }

        @Override
        public long fencingToken() {
            return token;
        }

        @Override
        public boolean renew() {
            return heartbeat(resourceId, clientId);
        }

        @Override
        public boolean release() {
            return unlock(resourceId, clientId);
        }

        @Override
        public void close() {
            if (!closed) {
                release();
            }
        }

        // The reference models the engine side of the contract. The lease lifecycle (K1-K5, X5)
        // is the runtime's, and is self-tested in dlm-impl against broken backends; the TCK's
        // self-test leaves those groups out for the reference.

        @Override
        public Lease keepAlive() {
            throw new UnsupportedOperationException("the reference does not keep leases alive");
        }

        @Override
        public boolean isValid() {
            return !closed
                    && inspect(resourceId)
                            .map(info -> info.fencingToken() == token)
                            .orElse(false);
        }

        @Override
        public Duration remaining() {
            return isValid() ? inspect(resourceId).map(LockInfo::remaining).orElse(Duration.ZERO) : Duration.ZERO;
        }

        @Override
        public CompletionStage<LockException> lost() {
            throw new UnsupportedOperationException("the reference does not report losses");
        }

        @Override
        public CompletionStage<Boolean> releaseAfterHolding(Duration holdAtLeast) {
            throw new UnsupportedOperationException("the reference does not hold locks on; see dlm-impl's self-test");
        }
    }

    @Override
    public <T, E extends Exception> T withLock(
            String resourceId,
            String clientId,
            Duration wait,
            Duration leaseTime,
            Duration holdAtLeast,
            LockedWork<T, E> work) {
        throw new UnsupportedOperationException("the reference has no withLock; see dlm-impl's self-test");
    }

    @Override
    public Leadership lead(String resourceId, String clientId, Duration leaseTime, LeadershipListener listener) {
        throw new UnsupportedOperationException("the reference has no leadership; see dlm-impl's self-test");
    }
}
