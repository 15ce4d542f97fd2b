package io.dlm.impl;

import io.dlm.spi.LockBackend;
import io.dlm.spi.LockObserver;
import io.dlm.spi.LockObserver.WaitOutcome;
import io.dlm.spi.Ticker;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import jdk.jfr.FlightRecorder;
import org.jspecify.annotations.Nullable;

/**
 * The one place where a manager records what its locks do (O1, O3): JFR events, and the {@link
 * LockObserver}s found on the class path. Without a recording and without an observer, every
 * method returns after reading a flag or two and allocates nothing.
 */
final class LockTelemetry {

    private static final System.Logger LOG = System.getLogger(LockTelemetry.class.getName());
    /**
     * Probes, never committed: an event's {@code isEnabled()} reads its class's state. Loaded only
     * once JFR runs, since defining an event class in a JVM where it does not run costs a few
     * hundred milliseconds (JDK 17), which a process that records nothing must not pay.
     */
    private static final class Jfr {
        static final LockWaitEvent WAIT = new LockWaitEvent();
        static final LockHeldEvent HELD = new LockHeldEvent();
        static final LeaseLostEvent LOST = new LeaseLostEvent();

        private Jfr() {}
    }

    /** The backend's name, as the events and the observers carry it. */
    String backend() {
        return backend;
    }

    private static boolean recordingWaits() {
        return FlightRecorder.isInitialized() && Jfr.WAIT.isEnabled();
    }

    private static boolean recordingHolds() {
        return FlightRecorder.isInitialized() && Jfr.HELD.isEnabled();
    }

    private static boolean recordingLosses() {
        return FlightRecorder.isInitialized() && Jfr.LOST.isEnabled();
    }

    private final String backend;
    private final Ticker ticker;
    private final HoldRecords holds;
    private final @Nullable LockObserver observer;

    private LockTelemetry(String backend, Ticker ticker, HoldRecords holds, @Nullable LockObserver observer) {
        this.backend = backend;
        this.ticker = ticker;
        this.holds = holds;
        this.observer = observer;
    }

    /**
     * Telemetry for a manager, with an observer from each {@link LockObserver.Factory} on the
     * class path; a factory that cannot load or fails is left out with a warning.
     *
     * @param backend the backend's name
     * @param properties the manager's settings
     * @param ticker the manager's monotonic clock
     * @return the telemetry
     */
    static LockTelemetry open(String backend, Map<String, String> properties, Ticker ticker) {
        HoldRecords holds = new HoldRecords();
        LockObserver.ObservedManager observed =
                new LockObserver.ObservedManager(backend, properties, () -> holds.heldNow(ticker.nanoTime()));
        List<LockObserver> observers = new ArrayList<>();
        for (LockObserver.Factory factory : factories()) {
            try {
                LockObserver made = factory.observe(observed);
                if (made != null) {
                    observers.add(made);
                }
            } catch (RuntimeException | LinkageError e) {
                LOG.log(
                        Level.WARNING,
                        "DLM: lock observer " + factory.getClass().getName() + " left out: " + e,
                        e);
            }
        }
        LockObserver observer = observers.isEmpty()
                ? null
                : observers.size() == 1 ? observers.get(0) : new Observers(List.copyOf(observers));
        return new LockTelemetry(backend, ticker, holds, observer);
    }

    private static List<LockObserver.Factory> factories() {
        List<LockObserver.Factory> found = new ArrayList<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        ClassLoader own = LockTelemetry.class.getClassLoader();
        for (ClassLoader loader :
                context == null || context == own ? new ClassLoader[] {own} : new ClassLoader[] {context, own}) {
            Iterator<LockObserver.Factory> it =
                    ServiceLoader.load(LockObserver.Factory.class, loader).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    LockObserver.Factory factory = it.next();
                    if (found.stream().noneMatch(f -> f.getClass() == factory.getClass())) {
                        found.add(factory);
                    }
                } catch (ServiceConfigurationError | LinkageError e) {
                    // A factory whose library is missing (no OpenTelemetry on the class path): skip it.
                    LOG.log(Level.DEBUG, "DLM: a lock observer factory could not load: " + e);
                }
            }
        }
        return found;
    }

    private boolean tracksHolds() {
        return observer != null || recordingHolds();
    }

    /**
     * Starts timing a wait, when a recording wants lock waits.
     *
     * @return the event to hand to {@link #waitEnded}, or {@code null}
     */
    @Nullable
    LockWaitEvent waitStarted() {
        if (!recordingWaits()) {
            return null;
        }
        LockWaitEvent event = new LockWaitEvent();
        event.begin();
        return event;
    }

    /**
     * A wait ended; when it acquired, the hold starts now.
     *
     * @param event what {@link #waitStarted} returned
     * @param fencingToken the acquisition's token, ignored unless acquired
     * @param leaseNanos the lease granted, ignored unless acquired
     * @param startedAt when the call started, on the manager's clock
     */
    void waitEnded(
            @Nullable LockWaitEvent event,
            String resourceId,
            String clientId,
            WaitOutcome outcome,
            long fencingToken,
            long leaseNanos,
            long startedAt) {
        if (event == null && !tracksHolds()) {
            return;
        }
        long now = ticker.nanoTime();
        if (event != null) {
            event.end();
            event.resourceId = resourceId;
            event.clientId = clientId;
            event.backend = backend;
            event.outcome = outcome.attributeValue();
            event.fencingToken = outcome == WaitOutcome.ACQUIRED ? fencingToken : 0;
            event.commit();
        }
        if (outcome == WaitOutcome.ACQUIRED && tracksHolds()) {
            LockHeldEvent held = null;
            if (recordingHolds()) {
                held = new LockHeldEvent();
                held.begin();
            }
            holds.granted(resourceId, new HoldRecords.Hold(clientId, fencingToken, now, leaseNanos, held), now);
        }
        LockObserver to = observer;
        if (to != null) {
            try {
                to.waitEnded(resourceId, clientId, outcome, now - startedAt);
            } catch (RuntimeException e) {
                dropped(e);
            }
        }
    }

    /** An acquisition was renewed: it is held a lease longer. */
    void renewed(String resourceId, String clientId, long fencingToken) {
        if (tracksHolds()) {
            holds.renewed(resourceId, clientId, fencingToken, ticker.nanoTime());
        }
    }

    /**
     * The engine answered a release ({@code fencingToken} is {@link LockBackend#ANY_ACQUISITION}
     * for {@code unlock}): the hold ended, by the release when it found the acquisition held, else
     * unseen, when its lease ran out.
     */
    void releaseAnswered(String resourceId, String clientId, long fencingToken, boolean released) {
        if (!tracksHolds()) {
            return;
        }
        HoldRecords.Hold hold = holds.end(resourceId, clientId, fencingToken);
        if (hold == null || !released) {
            return; // granted before anything observed it, or already over
        }
        long now = ticker.nanoTime();
        commitHeld(hold, resourceId, "released");
        LockObserver to = observer;
        if (to != null) {
            try {
                to.released(resourceId, clientId, hold.fencingToken, now - hold.grantedAt);
            } catch (RuntimeException e) {
                dropped(e);
            }
        }
    }

    /**
     * A kept-alive lease was lost and its holder told (K3).
     *
     * @param grantedAt when the lease's acquisition was sent, for the hold time when nothing
     *     recorded the grant
     */
    void leaseLost(String resourceId, String clientId, long fencingToken, long grantedAt, String reason) {
        if (observer == null && !recordingLosses() && !recordingHolds()) {
            return;
        }
        long now = ticker.nanoTime();
        HoldRecords.Hold hold = tracksHolds() ? holds.end(resourceId, clientId, fencingToken) : null;
        long heldFor = now - (hold != null ? hold.grantedAt : grantedAt);
        if (hold != null) {
            commitHeld(hold, resourceId, "lost");
        }
        if (recordingLosses()) {
            LeaseLostEvent event = new LeaseLostEvent();
            event.resourceId = resourceId;
            event.clientId = clientId;
            event.backend = backend;
            event.fencingToken = fencingToken;
            event.heldFor = heldFor;
            event.reason = reason;
            event.commit();
        }
        LockObserver to = observer;
        if (to != null) {
            try {
                to.leaseLost(resourceId, clientId, fencingToken, heldFor);
            } catch (RuntimeException e) {
                dropped(e);
            }
        }
    }

    private void commitHeld(HoldRecords.Hold hold, String resourceId, String endedBy) {
        LockHeldEvent event = hold.event;
        if (event == null) {
            return;
        }
        event.end();
        event.resourceId = resourceId;
        event.clientId = hold.clientId;
        event.backend = backend;
        event.fencingToken = hold.fencingToken;
        event.endedBy = endedBy;
        event.commit();
    }

    private static void dropped(RuntimeException e) {
        LOG.log(Level.DEBUG, "DLM: a lock observer failed; its failure is dropped", e);
    }

    /** Several observers, each told in turn; one that fails does not keep the others from hearing. */
    private static final class Observers implements LockObserver {
        private final List<LockObserver> all;

        Observers(List<LockObserver> all) {
            this.all = all;
        }

        @Override
        public void waitEnded(String resourceId, String clientId, WaitOutcome outcome, long waitNanos) {
            for (LockObserver o : all) {
                try {
                    o.waitEnded(resourceId, clientId, outcome, waitNanos);
                } catch (RuntimeException e) {
                    dropped(e);
                }
            }
        }

        @Override
        public void released(String resourceId, String clientId, long fencingToken, long heldNanos) {
            for (LockObserver o : all) {
                try {
                    o.released(resourceId, clientId, fencingToken, heldNanos);
                } catch (RuntimeException e) {
                    dropped(e);
                }
            }
        }

        @Override
        public void leaseLost(String resourceId, String clientId, long fencingToken, long heldNanos) {
            for (LockObserver o : all) {
                try {
                    o.leaseLost(resourceId, clientId, fencingToken, heldNanos);
                } catch (RuntimeException e) {
                    dropped(e);
                }
            }
        }
    }
}
