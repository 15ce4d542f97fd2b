package io.dlm.health;

import io.dlm.EngineContact;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * What the readiness check says about one manager (O2), as entries {@code <name>.<key>} of the
 * check's data.
 *
 * @param name the manager's name in the report ({@link ManagerNames})
 * @param state {@value #OPEN}, or why the check has no engine contact to judge by
 * @param contact the manager's last engine contact, when it is open
 * @param broken whether reading the contact failed
 */
record ManagerReport(String name, String state, Optional<EngineContact> contact, boolean broken) {

    static final String OPEN = "open";
    static final String NOT_OPENED = "not opened";
    static final String NOT_OBSERVABLE = "not observable (@Dependent)";
    static final String CONTEXT_NOT_ACTIVE = "context not active";

    /** Long enough for an exception's class and message, short enough for a probe's log line. */
    private static final int FAILURE_LENGTH = 300;

    static ManagerReport open(String name, EngineContact contact) {
        return new ManagerReport(name, OPEN, Optional.of(contact), false);
    }

    static ManagerReport without(String name, String state) {
        return new ManagerReport(name, state, Optional.empty(), false);
    }

    /** A manager whose engine contact could not be read: DOWN, with why. */
    static ManagerReport failed(String name, RuntimeException why) {
        return new ManagerReport(name, "unreadable: " + oneLine(String.valueOf(why)), Optional.empty(), true);
    }

    /**
     * A manager without engine contact has not failed: only a silent engine, or a manager that
     * cannot tell, makes it DOWN.
     */
    boolean up() {
        return !broken && contact.map(EngineContact::answering).orElse(true);
    }

    void addTo(HealthCheckResponseBuilder response) {
        String prefix = name + ".";
        response.withData(prefix + "status", up() ? "UP" : "DOWN");
        response.withData(prefix + "state", state);
        contact.ifPresent(engine -> {
            response.withData(prefix + "backend", engine.backend());
            engine.lastAnswerAgo().ifPresent(ago -> response.withData(prefix + "lastAnswerMillisAgo", ago.toMillis()));
            engine.failingFor()
                    .ifPresent(failing -> response.withData(prefix + "failingForMillis", failing.toMillis()));
            engine.lastFailure().ifPresent(failure -> response.withData(prefix + "lastFailure", oneLine(failure)));
            response.withData(
                    prefix + "operationTimeoutMillis", engine.operationTimeout().toMillis());
        });
    }

    private static String oneLine(String failure) {
        String line = failure.lines().findFirst().orElse("").strip();
        return line.length() <= FAILURE_LENGTH ? line : line.substring(0, FAILURE_LENGTH) + "...";
    }
}
