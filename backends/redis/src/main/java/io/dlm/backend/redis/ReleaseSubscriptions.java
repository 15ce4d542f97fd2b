package io.dlm.backend.redis;

import io.dlm.spi.WatchingLockBackend.Watch;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The release channels this process listens to, on one shared pub/sub connection opened on first
 * use (L4). A channel is subscribed while at least one {@link Watch} of it is open and unsubscribed
 * when the last one closes, so a waiter that gave up leaves no subscription behind (L5).
 *
 * <p>All bookkeeping happens under one monitor, and every {@code SUBSCRIBE}/{@code UNSUBSCRIBE}
 * is sent while holding it: the commands then reach Redis in the order the counts changed, so an
 * unsubscribe of a channel's last watcher can never overtake the subscribe of its next one.
 * Callbacks run outside the monitor, on Lettuce's event loop, and only unpark threads.
 *
 * <p>After a reconnect Lettuce subscribes the channels again; the confirmation of such a repeated
 * subscription wakes the channel's watchers, because a release published while the connection was
 * down was lost. A channel that Lettuce subscribes again but nobody watches any more (its
 * unsubscribe failed while Redis was away) is unsubscribed on sight.
 */
final class ReleaseSubscriptions {

    private static final System.Logger LOG = System.getLogger(ReleaseSubscriptions.class.getName());

    private final RedisConnections connections;
    private final Duration timeout;
    private final Object lock = new Object();
    private final Object connecting = new Object();
    private final Map<String, Channel> channels = new HashMap<>();
    private final Listener listener = new Listener();

    /** Written under both monitors, read without: once set, it never changes. */
    private volatile @Nullable StatefulRedisPubSubConnection<String, String> connection;

    private boolean closed; // guarded by lock

    /**
     * Creates the registry; it connects on the first watch.
     *
     * @param connections where to open the pub/sub connection
     * @param timeout how long a subscription may take to be confirmed (X1)
     */
    ReleaseSubscriptions(RedisConnections connections, Duration timeout) {
        this.connections = connections;
        this.timeout = timeout;
    }

    /**
     * Listens to a channel and returns once Redis has confirmed the subscription, so that a
     * release published after this returns is seen.
     *
     * @param channel the release channel of a resource
     * @param onMaybeFree what to run on each message; must not block
     * @return the registration, which unsubscribes when the channel's last one closes
     * @throws io.dlm.LockException with {@code INTERNAL_ERROR} when Redis does not confirm in time
     * @throws IllegalStateException once closed
     */
    Watch watch(String channel, Runnable onMaybeFree) {
        String what = "subscription to " + channel;
        long deadline = System.nanoTime() + timeout.toNanos();
        Backoff backoff = new Backoff();
        for (; ; ) {
            Registration registration = register(channel, onMaybeFree);
            CompletableFuture<Void> subscribed = registration.entry.subscribed;
            Replies.awaitDone(subscribed, deadline);
            Throwable failure = subscribed.isDone() ? Replies.failureOf(subscribed) : null;
            if (subscribed.isDone() && failure == null) {
                return registration;
            }
            registration.close();
            if (failure == null) {
                throw Replies.late(what, timeout);
            }
            // A subscribe refused while the connection reconnects is tried again, as scripts are.
            if (!Backoff.wasNeverSent(failure) || !backoff.pauseBefore(deadline)) {
                throw Replies.failed(what, failure);
            }
        }
    }

    /**
     * Adds a registration, sending {@code SUBSCRIBE} if the channel has no live one. A channel
     * whose subscription failed is replaced: its remaining registrations are failing too, and as
     * they no longer own the channel, their closing sends no {@code UNSUBSCRIBE}.
     */
    private Registration register(String channel, Runnable onMaybeFree) {
        StatefulRedisPubSubConnection<String, String> pubSub = connection();
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The Redis backend is closed");
            }
            Channel entry = channels.get(channel);
            if (entry == null || entry.subscribed.isCompletedExceptionally()) {
                entry = new Channel();
                channels.put(channel, entry);
                subscribe(pubSub, channel, entry.subscribed);
            }
            Registration registration = new Registration(channel, entry, onMaybeFree);
            entry.registrations.add(registration);
            return registration;
        }
    }

    /**
     * Counts the channels with open watches, for tests.
     *
     * @return how many channels this process wants subscribed
     */
    int channelCount() {
        synchronized (lock) {
            return channels.size();
        }
    }

    /**
     * Drops every registration and fails the subscriptions still pending, so that no caller waits
     * for a connection that is about to close; the connection itself is closed with the client.
     */
    void close() {
        StatefulRedisPubSubConnection<String, String> pubSub;
        List<Channel> pending;
        synchronized (lock) {
            closed = true;
            pending = new ArrayList<>(channels.values());
            channels.clear();
            pubSub = connection;
        }
        IllegalStateException closing = new IllegalStateException("The Redis backend was closed");
        for (Channel entry : pending) {
            entry.subscribed.completeExceptionally(closing);
        }
        if (pubSub != null) {
            pubSub.removeListener(listener);
        }
    }

    /**
     * The shared connection, opened on first use. Opening blocks for up to the connect timeout, so
     * it happens under its own monitor, never under {@code lock}, which Lettuce's event loop needs
     * to deliver messages and which {@link #close()} must get at once.
     */
    private StatefulRedisPubSubConnection<String, String> connection() {
        StatefulRedisPubSubConnection<String, String> pubSub = connection;
        if (pubSub != null) {
            return pubSub;
        }
        synchronized (connecting) {
            pubSub = connection;
            if (pubSub != null) {
                return pubSub;
            }
            StatefulRedisPubSubConnection<String, String> opened = connections.openPubSub();
            opened.addListener(listener);
            synchronized (lock) {
                if (!closed) {
                    connection = opened;
                    return opened;
                }
            }
            opened.closeAsync();
            throw new IllegalStateException("The Redis backend is closed");
        }
    }

    /** Sends {@code SUBSCRIBE}; called under the monitor so that it keeps its place in line. */
    private static void subscribe(
            StatefulRedisPubSubConnection<String, String> pubSub, String channel, CompletableFuture<Void> confirmed) {
        try {
            pubSub.async().subscribe(channel).whenComplete((ignored, failure) -> {
                if (failure == null) {
                    confirmed.complete(null);
                } else {
                    confirmed.completeExceptionally(failure);
                }
            });
        } catch (RuntimeException e) {
            confirmed.completeExceptionally(e);
        }
    }

    /** Sends {@code UNSUBSCRIBE}; called under the monitor so that it keeps its place in line. */
    private void unsubscribe(String channel) {
        StatefulRedisPubSubConnection<String, String> pubSub = connection;
        if (pubSub == null || closed) {
            return;
        }
        try {
            pubSub.async().unsubscribe(channel).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    LOG.log(Level.DEBUG, "Unsubscribing from {0} failed: {1}", channel, failure);
                }
            });
        } catch (RuntimeException e) {
            // A connection that is down drops its subscriptions with it; a reconnect is handled above.
            LOG.log(Level.DEBUG, "Unsubscribing from {0} failed: {1}", channel, e);
        }
    }

    private static void run(Runnable[] callbacks) {
        for (Runnable callback : callbacks) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A release callback failed", e);
            }
        }
    }

    /** One subscribed channel and its open registrations. */
    private static final class Channel {
        /** Completed when Redis confirms the subscription, or failed. */
        final CompletableFuture<Void> subscribed = new CompletableFuture<>();

        final List<Registration> registrations = new ArrayList<>(2);
        /** Whether Redis confirmed the first subscription; later confirmations follow reconnects. */
        boolean confirmed;

        Runnable[] callbacks() {
            Runnable[] callbacks = new Runnable[registrations.size()];
            for (int i = 0; i < callbacks.length; i++) {
                callbacks[i] = registrations.get(i).onMaybeFree;
            }
            return callbacks;
        }
    }

    /** One open watch. */
    private final class Registration implements Watch {
        final String channel;
        final Channel entry;
        final Runnable onMaybeFree;
        boolean closedWatch; // guarded by lock

        Registration(String channel, Channel entry, Runnable onMaybeFree) {
            this.channel = channel;
            this.entry = entry;
            this.onMaybeFree = onMaybeFree;
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (closedWatch) {
                    return;
                }
                closedWatch = true;
                if (!entry.registrations.remove(this) || !entry.registrations.isEmpty()) {
                    return;
                }
                if (channels.remove(channel, entry)) {
                    unsubscribe(channel);
                }
            }
        }
    }

    /** Turns messages and subscription confirmations into wake-ups. */
    private final class Listener extends RedisPubSubAdapter<String, String> {

        @Override
        public void message(String channel, String message) {
            Runnable[] callbacks;
            synchronized (lock) {
                Channel entry = watched(channel);
                if (entry == null) {
                    return;
                }
                callbacks = entry.callbacks();
            }
            run(callbacks);
        }

        @Override
        public void subscribed(String channel, long count) {
            Runnable[] callbacks;
            synchronized (lock) {
                Channel entry = watched(channel);
                if (entry == null) {
                    return;
                }
                if (!entry.confirmed) {
                    entry.confirmed = true;
                    return;
                }
                callbacks = entry.callbacks();
            }
            run(callbacks);
        }

        /**
         * The channel's entry, or {@code null} when nobody watches it any more: such a channel is
         * unsubscribed on sight, in case its last unsubscribe failed while Redis was away. Called
         * under the monitor, so that the unsubscribe keeps its place in line.
         */
        private @Nullable Channel watched(String channel) {
            Channel entry = channels.get(channel);
            if (entry == null) {
                unsubscribe(channel);
            }
            return entry;
        }
    }
}
