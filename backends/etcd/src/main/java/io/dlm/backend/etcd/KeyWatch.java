package io.dlm.backend.etcd;

import io.dlm.spi.WatchingLockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.CompletableFuture;

/**
 * An etcd watch on one lock key, telling the runtime when the key is deleted: by a release, or by
 * its lease's expiry, which etcd carries out as a deletion (L4).
 *
 * <p>Only deletions are delivered ({@code NOPUT}), and the watch requires a leader, so a member cut
 * off from the cluster cancels it and the waiter learns of the trouble instead of sleeping on. Each
 * watch is its own gRPC stream; closing it cancels the stream, and etcd drops the watcher with it:
 * nothing is left on the server (L5).
 */
final class KeyWatch implements WatchingLockBackend.Watch {

    private static final WatchOption OPTIONS = WatchOption.builder()
            .withNoPut(true)
            .withCreateNotify(true)
            .withRequireLeader(true)
            .build();

    private final Watch.Watcher watcher;

    private KeyWatch(Watch.Watcher watcher) {
        this.watcher = watcher;
    }

    /**
     * Opens a watch and returns once etcd has registered it, so that a deletion right after this
     * call is seen: the runtime's next attempt happens after the registration, and any release
     * after that attempt comes after it too.
     *
     * @param client jetcd's watch client
     * @param key the lock key
     * @param onMaybeFree called on every deletion, and spuriously on errors and re-registrations
     * @param budget the operation's time budget, for the registration
     * @return the open watch
     */
    static KeyWatch open(Watch client, ByteSequence key, Runnable onMaybeFree, OperationBudget budget) {
        CompletableFuture<Void> registered = new CompletableFuture<>();
        Watch.Watcher watcher = client.watch(key, OPTIONS, new Watch.Listener() {
            @Override
            public void onNext(WatchResponse response) {
                // A registration after the first is jetcd resuming the watch after a broken stream;
                // events it missed are replayed from its last revision, but waking is cheap.
                if (!response.isCreatedNotify() || !registered.complete(null)) {
                    onMaybeFree.run();
                }
            }

            @Override
            public void onError(Throwable failure) {
                registered.completeExceptionally(failure);
                // The waiter's next attempt reports the trouble, or finds the lock free.
                onMaybeFree.run();
            }

            @Override
            public void onCompleted() {
                // Closed by us; nothing to tell.
            }
        });
        try {
            budget.await(registered, "register a watch");
        } catch (RuntimeException e) {
            watcher.close();
            throw e;
        }
        return new KeyWatch(watcher);
    }

    @Override
    public void close() {
        watcher.close();
    }
}
