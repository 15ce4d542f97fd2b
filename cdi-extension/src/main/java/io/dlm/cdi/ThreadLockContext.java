package io.dlm.cdi;

import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LockContext;
import jakarta.inject.Singleton;
import java.util.Arrays;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LockContext} bean: a per-thread stack of the locks that running intercepted methods
 * hold. The interceptor pushes and pops it, and asks it whether a nested call requests a resource
 * its caller holds (D3).
 */
@Singleton
public class ThreadLockContext implements LockContext {

    /** The locks held by this thread's running intercepted methods, innermost last. */
    private final ThreadLocal<Frames> frames = ThreadLocal.withInitial(Frames::new);

    /** Creates the context; the extension registers it as a bean. */
    public ThreadLockContext() {}

    @Override
    public Optional<HeldLock> current() {
        return Optional.ofNullable(frames.get().top());
    }

    /**
     * Tells whether a running intercepted method on this thread holds the resource (D3).
     *
     * @param resourceId the resource
     * @return {@code true} if this thread's callers hold it
     */
    @Override
    public boolean holds(String resourceId) {
        return frames.get().contains(resourceId);
    }

    /**
     * This thread's stack, for a caller that checks, pushes and pops on one thread and so needs to
     * look it up only once.
     *
     * @return the calling thread's stack
     */
    Frames frames() {
        return frames.get();
    }

    /**
     * Enters a locked method on this thread.
     *
     * @param lock the lock it holds
     */
    void push(HeldLock lock) {
        frames.get().push(lock);
    }

    /** Leaves the innermost locked method on this thread. */
    void pop() {
        // The empty stack stays with the thread: the next call then allocates nothing here.
        frames.get().pop();
    }

    /** A small stack; touched by its own thread only, so it needs no locking. */
    static final class Frames {
        private @Nullable HeldLock[] locks = new HeldLock[4];
        private int size;

        void push(HeldLock lock) {
            if (size == locks.length) {
                locks = Arrays.copyOf(locks, size * 2);
            }
            locks[size++] = lock;
        }

        void pop() {
            locks[--size] = null;
        }

        @Nullable
        HeldLock top() {
            return size == 0 ? null : locks[size - 1];
        }

        boolean contains(String resourceId) {
            for (int i = size - 1; i >= 0; i--) {
                HeldLock lock = locks[i];
                if (lock != null && lock.resourceId().equals(resourceId)) {
                    return true;
                }
            }
            return false;
        }
    }
}
