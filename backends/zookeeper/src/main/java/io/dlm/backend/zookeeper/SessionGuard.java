package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import java.util.concurrent.ScheduledFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.jspecify.annotations.Nullable;

/**
 * Decides when this backend's session, and so every lock it holds, counts as lost (K3, N1): at once
 * when Curator reports it {@code LOST}, and, while the connection is down, before the ensemble can
 * end it and let another client take its locks.
 *
 * <p>The ZooKeeper client pings after a third of the session timeout without traffic and declares
 * the connection lost ({@code SUSPENDED}) after two thirds without a reply. So at {@code SUSPENDED}
 * the ensemble may have last heard from this client two thirds of a session ago, and may end the
 * session a third of a session later. Curator alone reports {@code LOST} a whole session timeout
 * after {@code SUSPENDED}: a holder cut off with a 5 s session was told 8.5 s after the cut, while
 * another client held its lock from 5.1 s on ({@code SessionPartitionTest}). This guard reports the
 * loss {@link #giveUpDelayMillis a third of the session, less a margin,} after {@code SUSPENDED}.
 * The margin, a twelfth of the session or one second, whichever is more, covers the news' way
 * through the client's threads on a loaded host (0.8 s was measured at a load average of 15 on two
 * cores), the reply's way back and clock rates.
 *
 * <p>A session given up must not come back: the runtime has told its holders, and the locks would
 * stay held by nobody. If the connection returns to that same session, the guard ends it (Curator
 * closes the handle, which makes the ensemble delete its nodes at once, and opens a new session)
 * and reports the loss once more, for any lease acquired on it meanwhile. A disconnection shorter
 * than the delay costs nothing: the session, its locks and leases go on.
 */
final class SessionGuard implements ConnectionStateListener {

    /** Margin below which a twelfth of the session is not trusted: scheduling on a loaded host. */
    private static final long MIN_MARGIN_MILLIS = 1_000L;

    private final CuratorFramework client;
    private final Timeouts timer;
    private final long requestedTimeoutMillis;
    private final Runnable onLoss;

    // Guarded by this.
    private @Nullable ScheduledFuture<?> pending;
    /** Counts SUSPENDED, LOST and reconnections: a give-up booked before the latest one is void. */
    private long generation;
    /** The session of the last connection, read while connected. */
    private long connectedSession;
    /** The session given up, or {@code 0}; kept until another session is connected. */
    private long givenUpSession;
    /**
     * From a give-up until another session is connected: the backend takes no new lock and renews
     * none, since whatever it did on the given-up session would be lost without a word.
     */
    private volatile boolean givenUp;

    /**
     * @param client the backend's Curator client
     * @param timer where the give-up is booked
     * @param requestedTimeoutMillis {@code dlm.zookeeper.session-timeout}, used until the ensemble
     *     has negotiated one
     * @param onLoss reports every lease of the backend lost; cheap, never blocks, may run twice
     */
    SessionGuard(CuratorFramework client, Timeouts timer, long requestedTimeoutMillis, Runnable onLoss) {
        this.client = client;
        this.timer = timer;
        this.requestedTimeoutMillis = requestedTimeoutMillis;
        this.onLoss = onLoss;
    }

    /**
     * How long after {@code SUSPENDED} a session is given up: a third of it, less the larger of a
     * twelfth of it and one second; at once for sessions of three seconds or less.
     *
     * @param sessionTimeoutMillis the negotiated session timeout
     * @return the delay in milliseconds, never negative
     */
    static long giveUpDelayMillis(long sessionTimeoutMillis) {
        long margin = Math.max(sessionTimeoutMillis / 12, MIN_MARGIN_MILLIS);
        return Math.max(0, sessionTimeoutMillis / 3 - margin);
    }

    @Override
    public void stateChanged(CuratorFramework curator, ConnectionState state) {
        switch (state) {
            case SUSPENDED -> suspended();
            case LOST -> lost();
            case CONNECTED, RECONNECTED -> connected();
            default -> {
                // READ_ONLY is not used (no read-only mode is asked for).
            }
        }
    }

    /**
     * Whether the session was given up and no other has been connected since: acquisitions and
     * renewals must then fail ({@code INTERNAL_ERROR}, X1) instead of using it.
     *
     * @return {@code true} between a give-up and the next new session
     */
    boolean sessionGivenUp() {
        return givenUp;
    }

    /**
     * Refuses to work on a session this guard gave up (K3, N1): its leases were reported lost, and a
     * lock taken or renewed on it now would vanish with it unannounced. Fails until Curator has
     * connected a new session, which takes about a reconnection.
     *
     * @param operation what the caller was about to do, for the message
     * @throws LockException {@code INTERNAL_ERROR} while the session is given up
     */
    void ensureKept(String operation) {
        if (sessionGivenUp()) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "cannot " + operation + ": the ZooKeeper session was given up after a lost connection and"
                            + " a new one is not yet connected",
                    new KeeperException.ConnectionLossException());
        }
    }

    private void suspended() {
        long delayNanos = giveUpDelayMillis(sessionTimeoutMillis()) * 1_000_000L;
        long booked;
        synchronized (this) {
            if (givenUp) {
                return; // given up already: the next connection decides
            }
            cancelPending();
            booked = ++generation;
            pending = timer.schedule(() -> giveUp(booked), delayNanos);
            if (pending != null) {
                return;
            }
        }
        giveUp(booked); // the backend is closing: nothing to book on, and nothing lost by being early
    }

    private void giveUp(long booked) {
        synchronized (this) {
            if (booked != generation) {
                return; // reconnected or lost meanwhile
            }
            pending = null;
            givenUpSession = connectedSession;
            givenUp = true;
        }
        onLoss.run();
    }

    private void lost() {
        synchronized (this) {
            cancelPending();
            generation++;
            givenUpSession = 0;
            givenUp = false; // Curator starts a new session; the old one's nodes are gone
        }
        onLoss.run();
    }

    private void connected() {
        // Read here, while connected: reading the handle while disconnected may make Curator act.
        long session = sessionId();
        boolean endIt;
        synchronized (this) {
            cancelPending();
            generation++;
            endIt = givenUpSession != 0 && session == givenUpSession;
            if (!endIt) {
                givenUpSession = 0;
                givenUp = false;
            }
            connectedSession = session;
        }
        if (endIt && timer.schedule(() -> endSession(session), 0) == null) {
            endSession(session);
        }
    }

    /**
     * Ends a session given up that came back, off Curator's event threads (closing may wait). The
     * loss is reported before the handle is closed: no lock was taken on the session since it was
     * given up ({@link #sessionGivenUp()}), and one taken on the next session must not be reported.
     */
    private void endSession(long session) {
        if (sessionId() != session) {
            return; // ended already, by an earlier call or by the ensemble
        }
        onLoss.run();
        try {
            client.getZookeeperClient().reset();
        } catch (Exception e) {
            // The handle could not be closed: the ensemble ends the session by its timeout once
            // this client stops talking on it; Curator's next attempt starts a new one.
        }
    }

    private void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** The negotiated session timeout, or the requested one before the first connection. */
    long sessionTimeoutMillis() {
        int negotiated = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
        // The smaller when both are known: right after a connection the negotiated value may not
        // be recorded yet, and a server that lowered it must not leave the requested one in use.
        return negotiated > 0 ? Math.min(negotiated, requestedTimeoutMillis) : requestedTimeoutMillis;
    }

    private long sessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0; // no handle: compares equal to no session given up
        }
    }
}
