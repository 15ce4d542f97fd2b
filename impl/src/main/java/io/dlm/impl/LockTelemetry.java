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
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The one place where a manager records what its locks do (O1, O3): JFR events, and the {@link
 * LockObserver}s found on the class path. Without a recording and without an observer, every
 * method returns after reading a flag or two and allocates nothing.
 */
final class LockTelemetry {

    private static final System.Logger LOG = System.getLogger(LockTelemetry.class.getName());

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

    /** The backend's name, as the events and the observers carry it. */
    String backend() {
        return backend;
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

    /**
     * Telemetry with one given observer, for tests of the runtime's side of the SPI.
     *
     * @param backend the backend's name
     * @param ticker the manager's monotonic clock
     * @param observer the observer
     * @return the telemetry
     */
    static LockTelemetry observedBy(String backend, Ticker ticker, LockObserver observer) {
        return new LockTelemetry(backend, ticker, new HoldRecords(), observer);
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

    /** Whether holds are recorded (an observer, or a JFR recording of holds). */
    boolean tracksHolds() {
        return observer != null || JfrRecorder.recordingHolds();
    }

    /**
     * Starts timing a wait, when a recording wants lock waits.
     *
     * @return what to hand to {@link #waitEnded}: a begun JFR event, or {@code null}
     */
    @Nullable
    Object waitStarted() {
        return JfrRecorder.waitStarted();
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
            @Nullable Object event,
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
            JfrRecorder.waitEnded(
                    event,
                    resourceId,
                    clientId,
                    backend,
                    outcome.attributeValue(),
                    outcome == WaitOutcome.ACQUIRED ? fencingToken : 0);
        }
        if (outcome == WaitOutcome.ACQUIRED && tracksHolds()) {
            holds.granted(
                    resourceId,
                    new HoldRecords.Hold(clientId, fencingToken, now, leaseNanos, JfrRecorder.holdStarted()),
                    now);
        }
        LockObserver to = observer;
        if (to != null) {
            tell(to, o -> o.waitEnded(resourceId, clientId, outcome, now - startedAt));
        }
    }

    /** An acquisition was renewed: it is held a lease longer. */
    void renewed(String resourceId, String clientId, long fencingToken) {
        if (tracksHolds()) {
            holds.renewed(resourceId, clientId, fencingToken, ticker.nanoTime());
        }
    }

    /**
     * A release is about to be sent ({@code fencingToken} is {@link LockBackend#ANY_ACQUISITION}
     * for {@code unlock}): the record of the hold it would end, taken now, so that a grant that
     * replaces it while the release travels does not hide the release.
     *
     * @return the record, or {@code null} when nothing is tracked
     */
    HoldRecords.@Nullable Hold releasing(String resourceId, String clientId, long fencingToken) {
        return tracksHolds() ? holds.find(resourceId, clientId, fencingToken) : null;
    }

    /**
     * The engine answered a release: the hold ended, by the release when it found the
     * acquisition held, else unseen, when its lease ran out.
     *
     * @param hold what {@link #releasing} returned
     */
    void releaseAnswered(String resourceId, HoldRecords.@Nullable Hold hold, boolean released) {
        if (hold == null || !holds.end(resourceId, hold) || !released) {
            return;
        }
        long now = ticker.nanoTime();
        commitHeld(hold, resourceId, "released");
        LockObserver to = observer;
        if (to != null) {
            tell(to, o -> o.released(resourceId, hold.clientId, hold.fencingToken, now - hold.grantedAt));
        }
    }

    /**
     * A kept-alive lease was lost and its holder told (K3).
     *
     * @param grantedAt when the lease's acquisition was sent, for the hold time when nothing
     *     recorded the grant
     */
    void leaseLost(String resourceId, String clientId, long fencingToken, long grantedAt, String reason) {
        if (observer == null && !JfrRecorder.recordingLosses() && !JfrRecorder.recordingHolds()) {
            return;
        }
        long now = ticker.nanoTime();
        HoldRecords.Hold hold = tracksHolds() ? holds.find(resourceId, clientId, fencingToken) : null;
        boolean endsHold = hold != null && holds.end(resourceId, hold);
        long heldFor = now - (hold != null ? hold.grantedAt : grantedAt);
        if (endsHold) {
            commitHeld(hold, resourceId, "lost");
        }
        if (JfrRecorder.recordingLosses()) {
            JfrRecorder.leaseLost(resourceId, clientId, backend, fencingToken, heldFor, reason);
        }
        LockObserver to = observer;
        if (to != null) {
            tell(to, o -> o.leaseLost(resourceId, clientId, fencingToken, heldFor));
        }
    }

    /** The manager closed: its holds are over, and its observers are told (O1's held count). */
    void closed() {
        holds.clear();
        LockObserver to = observer;
        if (to != null) {
            tell(to, LockObserver::closed);
        }
    }

    private void commitHeld(HoldRecords.Hold hold, String resourceId, String endedBy) {
        Object event = hold.event;
        if (event != null) {
            JfrRecorder.holdEnded(event, resourceId, hold.clientId, backend, hold.fencingToken, endedBy);
        }
    }

    /**
     * Tells one observer, the only way any observer is told. Its failure, whatever it was, never reaches a lock operation or a loss report (K3):
     * dropped, except the JVM's own errors.
     */
    private static void tell(LockObserver observer, Consumer<LockObserver> call) {
        try {
            call.accept(observer);
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            LOG.log(Level.DEBUG, "DLM: a lock observer failed; its failure is dropped", e);
        }
    }

    /** Several observers, each told in turn; one that fails does not keep the others from hearing. */
    private static final class Observers implements LockObserver {
        private final List<LockObserver> all;

        Observers(List<LockObserver> all) {
            this.all = all;
        }

        @Override
        public void waitEnded(String resourceId, String clientId, WaitOutcome outcome, long waitNanos) {
            tellEach(o -> o.waitEnded(resourceId, clientId, outcome, waitNanos));
        }

        @Override
        public void released(String resourceId, String clientId, long fencingToken, long heldNanos) {
            tellEach(o -> o.released(resourceId, clientId, fencingToken, heldNanos));
        }

        @Override
        public void leaseLost(String resourceId, String clientId, long fencingToken, long heldNanos) {
            tellEach(o -> o.leaseLost(resourceId, clientId, fencingToken, heldNanos));
        }

        @Override
        public void closed() {
            tellEach(LockObserver::closed);
        }

        private void tellEach(Consumer<LockObserver> call) {
            for (LockObserver o : all) {
                tell(o, call);
            }
        }
    }
}
