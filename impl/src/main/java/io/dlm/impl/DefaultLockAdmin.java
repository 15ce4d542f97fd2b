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
        try {
            return backend.inspect(resourceId);
        } catch (RuntimeException e) {
            throw engineFailure("inspect of '" + resourceId + "'", e);
        }
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
        try {
            return List.copyOf(enumerating.list(prefix, limit));
        } catch (RuntimeException e) {
            throw engineFailure("list of prefix '" + prefix + "'", e);
        }
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
        try {
            return breaking.forceRelease(resourceId);
        } catch (RuntimeException e) {
            throw engineFailure("forced release of '" + resourceId + "'", e);
        }
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

    private static LockException engineFailure(String what, RuntimeException cause) {
        if (cause instanceof LockException lockException) {
            return lockException;
        }
        return new LockException(LockError.INTERNAL_ERROR, what + " failed: " + cause, cause);
    }
}
