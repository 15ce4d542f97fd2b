package io.dlm.backend.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.netty.util.Timer;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One Lettuce connection of the backend that is replaced when it dies without a sign (N1).
 *
 * <p>A partition, a dropped NAT or firewall entry or a vanished peer leave Lettuce with no error,
 * only commands that time out, and it would keep the dead connection for TCP's retransmission time
 * (about a quarter of an hour). So whoever sees a command go unanswered for the operation timeout
 * calls {@link #suspectStall()}: a {@code PING} probes the connection, and if that goes unanswered
 * too, a new connection is opened on a short-lived thread ({@code dlm-redis-reconnect}) and
 * replaces it, and the old one is closed. A slow but live server answers the {@code PING} late, or
 * holds up the new connection's handshake as well, so it is not replaced for nothing.
 *
 * @param <A> the asynchronous commands of the connection
 */
final class ReplaceableConnection<A extends BaseRedisAsyncCommands<String, String>> {

    private static final System.Logger LOG = System.getLogger(ReplaceableConnection.class.getName());

    /** A connection and its commands. */
    record Opened<A>(StatefulConnection<String, String> connection, A commands) {}

    private final Supplier<Opened<A>> opener;
    private final Timer timer;
    private final Duration timeout;
    private final String description;
    private final Object lock = new Object();
    /** At most one probe (and replacement) at a time. */
    private final AtomicBoolean probing = new AtomicBoolean();

    // Written under lock; read without it by every call.
    private volatile Opened<A> current;
    private volatile boolean closed;
    private volatile @Nullable Thread replacing;

    /**
     * Opens the first connection.
     *
     * @param opener opens a connection, blocking up to the connect timeout; throws when it cannot
     * @param timer the client's timer, for bounding the probe
     * @param timeout the operation timeout
     * @param description where it connects, for the log
     */
    ReplaceableConnection(Supplier<Opened<A>> opener, Timer timer, Duration timeout, String description) {
        this.opener = opener;
        this.timer = timer;
        this.timeout = timeout;
        this.description = description;
        this.current = opener.get();
    }

    /**
     * The commands of the connection as it is now.
     *
     * @return its commands; thread-safe
     */
    A commands() {
        return current.commands();
    }

    /**
     * The connection as it is now.
     *
     * @return the Lettuce connection
     */
    StatefulConnection<String, String> connection() {
        return current.connection();
    }

    /**
     * Told that a command went unanswered for the whole operation timeout: probes the connection
     * with a {@code PING} bounded by the operation timeout and replaces it if that goes unanswered
     * too. Returns at once; never blocks the caller, which may be a Lettuce or timer thread.
     */
    void suspectStall() {
        if (closed || !probing.compareAndSet(false, true)) {
            return;
        }
        Opened<A> suspect = current;
        CompletableFuture<String> pong = new CompletableFuture<>();
        try {
            suspect.commands().ping().whenComplete((reply, failure) -> {
                if (failure == null) {
                    pong.complete(reply);
                } else {
                    pong.completeExceptionally(failure);
                }
            });
            timer.newTimeout(
                    ignored -> pong.completeExceptionally(new TimeoutException("no PONG")),
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            probing.set(false); // closing: the timer or the connection is gone
            return;
        }
        pong.whenComplete((reply, failure) -> {
            if (failure == null || closed) {
                probing.set(false); // only slow, or a reply that raced the timeout: keep it
                return;
            }
            Thread thread = new Thread(() -> replace(suspect), "dlm-redis-reconnect");
            thread.setDaemon(true);
            replacing = thread;
            thread.start();
        });
    }

    private void replace(Opened<A> suspect) {
        try {
            if (closed || current != suspect) {
                return;
            }
            Opened<A> fresh = opener.get();
            synchronized (lock) {
                if (closed) {
                    fresh.connection().closeAsync();
                    return;
                }
                current = fresh;
            }
            suspect.connection().closeAsync();
            LOG.log(
                    Level.WARNING,
                    "Replaced a Redis connection to {0}: it answered neither a command nor a PING within {1}",
                    description,
                    timeout);
        } catch (RuntimeException e) {
            // Redis is still out of reach; the next unanswered command probes again.
            LOG.log(Level.DEBUG, "Could not open a new Redis connection yet", e);
        } finally {
            probing.set(false);
        }
    }

    /** Closes the connection; a replacement on its way is closed as soon as it is opened. */
    void close() {
        Opened<A> last;
        synchronized (lock) {
            closed = true;
            last = current;
        }
        try {
            last.connection().close();
        } catch (RuntimeException e) {
            // Best effort; the client's shutdown closes it as well.
        }
    }

    /**
     * Waits for a replacement still on its way, after the client was shut down (its connect then
     * fails at once, or ends by the connect timeout).
     *
     * @param patience how long to wait
     */
    void awaitReplacer(Duration patience) {
        Thread thread = replacing;
        if (thread != null) {
            try {
                thread.join(patience.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
