package io.dlm.impl;

import jdk.jfr.FlightRecorder;
import org.jspecify.annotations.Nullable;

/**
 * Every use of {@code jdk.jfr} in the runtime (O3), behind {@link #AVAILABLE}: a JVM without the
 * module (a jlinked image, a modular application that does not read it) never links this class
 * beyond that flag, and the events' classes load only once JFR runs, since defining one in a JVM
 * where JFR does not run costs a few hundred milliseconds (JDK 17). Events travel through the
 * runtime as {@code Object}, so that no other class names a {@code jdk.jfr} type.
 */
final class JfrRecorder {

    /** Whether this runtime's class loader sees JFR at all. */
    static final boolean AVAILABLE = jfrVisible();

    private JfrRecorder() {}

    private static boolean jfrVisible() {
        try {
            Class.forName("jdk.jfr.FlightRecorder", false, JfrRecorder.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Probes, never committed: an event's {@code isEnabled()} reads its class's state. */
    private static final class Probes {
        static final LockWaitEvent WAIT = new LockWaitEvent();
        static final LockHeldEvent HELD = new LockHeldEvent();
        static final LeaseLostEvent LOST = new LeaseLostEvent();

        private Probes() {}
    }

    static boolean recordingWaits() {
        return AVAILABLE && FlightRecorder.isInitialized() && Probes.WAIT.isEnabled();
    }

    static boolean recordingHolds() {
        return AVAILABLE && FlightRecorder.isInitialized() && Probes.HELD.isEnabled();
    }

    static boolean recordingLosses() {
        return AVAILABLE && FlightRecorder.isInitialized() && Probes.LOST.isEnabled();
    }

    /** A begun wait event, or {@code null} when no recording wants one. */
    static @Nullable Object waitStarted() {
        if (!recordingWaits()) {
            return null;
        }
        LockWaitEvent event = new LockWaitEvent();
        event.begin();
        return event;
    }

    static void waitEnded(
            Object begun, String resourceId, String clientId, String backend, String outcome, long fencingToken) {
        LockWaitEvent event = (LockWaitEvent) begun;
        event.end();
        event.resourceId = resourceId;
        event.clientId = clientId;
        event.backend = backend;
        event.outcome = outcome;
        event.fencingToken = fencingToken;
        event.commit();
    }

    /** A begun hold event, or {@code null} when no recording wants one. */
    static @Nullable Object holdStarted() {
        if (!recordingHolds()) {
            return null;
        }
        LockHeldEvent event = new LockHeldEvent();
        event.begin();
        return event;
    }

    static void holdEnded(
            Object begun, String resourceId, String clientId, String backend, long fencingToken, String endedBy) {
        LockHeldEvent event = (LockHeldEvent) begun;
        event.end();
        event.resourceId = resourceId;
        event.clientId = clientId;
        event.backend = backend;
        event.fencingToken = fencingToken;
        event.endedBy = endedBy;
        event.commit();
    }

    static void leaseLost(
            String resourceId, String clientId, String backend, long fencingToken, long heldFor, String reason) {
        LeaseLostEvent event = new LeaseLostEvent();
        event.resourceId = resourceId;
        event.clientId = clientId;
        event.backend = backend;
        event.fencingToken = fencingToken;
        event.heldFor = heldFor;
        event.reason = reason;
        event.commit();
    }
}
