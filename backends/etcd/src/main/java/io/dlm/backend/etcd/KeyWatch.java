package io.dlm.backend.etcd;

import io.dlm.spi.WatchingLockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An etcd watch on one lock key, telling the runtime when the key is deleted: by a release, or by
 * its lease's expiry, which etcd carries out as a deletion (L4). It lasts until the runtime closes
 * it, whatever happens to the etcd watch beneath (N4).
 *
 * <p>Only deletions are delivered ({@code NOPUT}), and the watch requires a leader, so that a
 * member cut off from the quorum ends it instead of keeping it silently: with several endpoints,
 * the next watch may then land on a member that has a leader.
 *
 * <p><b>A watch that ends is watched again.</b> jetcd ends a watcher for good on "no leader" (a
 * member without a leader for three election timeouts cancels such streams), on a compaction of the
 * revision it would resume from, and on errors it deems final; on others it resumes by itself from
 * a revision of its own. Either way this class opens a new etcd watch, after a short pause growing
 * from 50 to 250 ms while attempts keep failing, starting at the first revision whose events it has
 * not seen, so that a release in between is replayed. A replay can miss a deletion all the same:
 * etcd's compaction drops the tombstone of a deleted key even at the compaction revision itself,
 * from which a watch may still start without being cancelled; and a revision compacted further
 * gets the watch cancelled, after which it starts at the compaction. So once a new watch is
 * registered, the waiter is woken to look for itself: its attempt comes after the registration,
 * so whatever it does not see, the new watch does. Errors alone wake nobody: a waiter woken on a
 * member without a leader would only fail its attempt, while the new watch, which needs a leader
 * to be registered, wakes it as soon as etcd can answer.
 *
 * <p>Each etcd watch is its own gRPC stream; closing it cancels the stream, and etcd drops the
 * watcher with it: nothing is left on the server (L5).
 */
final class KeyWatch implements WatchingLockBackend.Watch {

    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private static final long MAX_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final Watch client;
    private final ByteSequence key;
    private final Runnable onMaybeFree;
    private final Executor executor;

    // Guarded by this.
    /** The first revision whose deletions were not delivered yet; 0 before the first registration. */
    private long nextRevision;

    private boolean closed;
    private long retryNanos = FIRST_RETRY_NANOS;
    private @Nullable Registration current;

    private KeyWatch(Watch client, ByteSequence key, Runnable onMaybeFree, Executor executor) {
        this.client = client;
        this.key = key;
        this.onMaybeFree = onMaybeFree;
        this.executor = executor;
    }

    /**
     * Opens a watch and returns once etcd has registered it, so that a deletion right after this
     * call is seen: the runtime's next attempt happens after the registration, and any release
     * after that attempt comes after it too.
     *
     * @param client jetcd's watch client
     * @param key the lock key
     * @param onMaybeFree called on every deletion, and after each re-registration
     * @param budget the operation's time budget, for the first registration
     * @param executor runs the re-registrations
     * @return the open watch
     */
    static KeyWatch open(
            Watch client, ByteSequence key, Runnable onMaybeFree, OperationBudget budget, Executor executor) {
        KeyWatch watch = new KeyWatch(client, key, onMaybeFree, executor);
        Registration first = watch.register();
        try {
            if (first == null) {
                throw new IllegalStateException("the watch was closed while it opened");
            }
            budget.await(first.created, "register a watch");
        } catch (RuntimeException e) {
            watch.close();
            throw e;
        }
        return watch;
    }

    @Override
    public void close() {
        Watch.Watcher watcher;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            watcher = current == null ? null : current.watcher;
            current = null;
        }
        if (watcher != null) {
            watcher.close();
        }
    }

    /**
     * Opens an etcd watch from the first revision not seen yet.
     *
     * @return the registration, or {@code null} if this watch was closed or the client is
     */
    private @Nullable Registration register() {
        Registration next;
        synchronized (this) {
            if (closed || current != null) {
                return null;
            }
            next = new Registration(nextRevision, nextRevision > 0);
            current = next; // before jetcd can call back, so that its callbacks are recognised
        }
        WatchOption.Builder option =
                WatchOption.builder().withNoPut(true).withCreateNotify(true).withRequireLeader(true);
        if (next.startRevision > 0) {
            option.withRevision(next.startRevision);
        }
        Watch.Watcher watcher;
        try {
            watcher = client.watch(key, option.build(), next);
        } catch (RuntimeException e) {
            // The client is closed: so is the backend, and its waiters learn it from the runtime.
            next.created.completeExceptionally(e);
            return next;
        }
        boolean stale;
        synchronized (this) {
            next.watcher = watcher;
            stale = current != next;
        }
        if (stale) {
            watcher.close(); // ended, or this watch closed, before jetcd returned it
        }
        return next;
    }

    /** Forgets a registration that etcd or jetcd ended, closes it and opens another after a pause. */
    private void retire(Registration ended) {
        Watch.Watcher watcher;
        long delay;
        synchronized (this) {
            if (closed || current != ended) {
                return;
            }
            current = null;
            watcher = ended.watcher;
            delay = retryNanos;
            retryNanos = Math.min(2 * retryNanos, MAX_RETRY_NANOS);
        }
        ended.created.completeExceptionally(new IllegalStateException("the etcd watch ended"));
        try {
            if (watcher != null) {
                // Stops jetcd's own resumption (this class resumes from its own revision); on another
                // thread, since jetcd calls back here in the middle of handling the error.
                executor.execute(watcher::close);
            }
            CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS, executor)
                    .execute(this::register);
        } catch (RejectedExecutionException e) {
            // The backend is closing, and closes jetcd's watchers with its client; nobody waits.
        }
    }

    /** One etcd watch of this key, and jetcd's calls about it. */
    private final class Registration implements Watch.Listener {

        final long startRevision;
        /** Whether an earlier watch ended: this one wakes the waiter once registered. */
        final boolean replacing;

        final CompletableFuture<Void> created = new CompletableFuture<>();

        // Guarded by KeyWatch.this.
        Watch.@Nullable Watcher watcher;

        Registration(long startRevision, boolean replacing) {
            this.startRevision = startRevision;
            this.replacing = replacing;
        }

        @Override
        public void onNext(WatchResponse response) {
            if (response.isCreatedNotify()) {
                registered(response.getHeader().getRevision());
                return;
            }
            long last = 0;
            for (WatchEvent event : response.getEvents()) {
                last = Math.max(last, event.getKeyValue().getModRevision());
            }
            synchronized (KeyWatch.this) {
                if (current == this) {
                    nextRevision = Math.max(nextRevision, last + 1);
                }
            }
            onMaybeFree.run();
        }

        /**
         * etcd has registered the watch at store revision {@code revision}. A watch from "now"
         * covers everything after it; one from an older revision replays from there, so the
         * revision to resume from stays until its events come.
         */
        private void registered(long revision) {
            synchronized (KeyWatch.this) {
                if (current != this) {
                    return;
                }
                if (startRevision == 0) {
                    nextRevision = Math.max(nextRevision, revision + 1);
                }
                retryNanos = FIRST_RETRY_NANOS;
            }
            // jetcd reports a registration again when it resumed a watch by itself; once is enough.
            if (created.complete(null) && replacing) {
                onMaybeFree.run();
            }
        }

        @Override
        public void onError(Throwable failure) {
            created.completeExceptionally(failure);
            if (failure instanceof CompactedException compacted) {
                synchronized (KeyWatch.this) {
                    if (current == this) {
                        // Starting before the compaction would be cancelled again.
                        nextRevision = Math.max(nextRevision, compacted.getCompactedRevision());
                    }
                }
            }
            retire(this);
        }

        @Override
        public void onCompleted() {
            // Called when jetcd gives up on the watcher, and when it is closed (then ignored).
            retire(this);
        }
    }
}
