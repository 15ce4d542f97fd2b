package io.dlm.impl;

import io.dlm.LockAdmin;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.LockBackend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The runtime's {@link LockAdmin}: checks arguments (V1, V2) before anything else, maps engine
 * failures to {@code INTERNAL_ERROR} (X1) as the manager does, and refuses what the backend
 * cannot do before it asks the engine.
 */
final class DefaultLockAdmin implements LockAdmin {

    private final String name;
    private final LockBackend backend;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Wraps an open backend, which the admin then owns.
     *
     * @param name the backend's provider name, for messages
     * @param backend the open backend
     */
    DefaultLockAdmin(String name, LockBackend backend) {
        this.name = name;
        this.backend = backend;
    }

    @Override
    public String backend() {
        return name;
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        Arguments.id("resourceId", resourceId);
        ensureOpen();
        return asked("inspect of '" + resourceId + "'", () -> backend.inspect(resourceId));
    }

    @Override
    public boolean canList() {
        return backend instanceof EnumeratingLockBackend;
    }

    @Override
    public List<LockInfo> list(String prefix, int limit) {
        checkPrefix(prefix);
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        ensureOpen();
        if (!(backend instanceof EnumeratingLockBackend enumerating)) {
            throw new UnsupportedOperationException("backend '" + name + "' cannot enumerate its locks (list)");
        }
        return asked("list of prefix '" + prefix + "'", () -> List.copyOf(enumerating.list(prefix, limit)));
    }

    @Override
    public boolean canForceRelease() {
        return backend instanceof BreakingLockBackend;
    }

    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        Arguments.id("resourceId", resourceId);
        ensureOpen();
        if (!(backend instanceof BreakingLockBackend breaking)) {
            throw new UnsupportedOperationException("backend '" + name + "' cannot break a lock (release --force)");
        }
        return asked("forced release of '" + resourceId + "'", () -> breaking.forceRelease(resourceId));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            backend.close();
        }
    }

    /** A prefix is the start of an id: empty is fine, but not longer or malformed (V1). */
    private static void checkPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix must not be null; use \"\" for all locks");
        }
        if (!prefix.isEmpty()) {
            Arguments.id("prefix", prefix);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("This LockAdmin of backend '" + name + "' is closed");
        }
    }

    /** The engine's answer to {@code what}; its failure as a {@code LockException} (X1). */
    private static <T> T asked(String what, Supplier<T> engineCall) {
        try {
            return engineCall.get();
        } catch (LockException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LockException(LockError.INTERNAL_ERROR, what + " failed: " + e, e);
        }
    }
}
