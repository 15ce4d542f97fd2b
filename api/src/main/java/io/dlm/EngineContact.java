package io.dlm;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A manager's last contact with its lock engine (O2), as {@link LockManager#engineContact()}
 * reports it. An answer is any reply the engine gave, whatever it said; a failure is a call that
 * ended without one ({@link LockError#INTERNAL_ERROR}: refused, reset, or past {@code
 * dlm.operation.timeout}).
 *
 * @param backend the backend's name ({@code dlm.backend})
 * @param lastAnswerAgo how long ago the engine last answered; empty if it never has
 * @param failingFor how long the calls made since the last answer have been failing, counted from
 *     the start of the first of them; empty when none has failed since
 * @param lastFailureAgo how long ago the last call failed; empty if none has failed
 * @param lastFailure what the last failed call ended with; empty if none has failed
 * @param operationTimeout the manager's {@code dlm.operation.timeout}
 */
public record EngineContact(
        String backend,
        Optional<Duration> lastAnswerAgo,
        Optional<Duration> failingFor,
        Optional<Duration> lastFailureAgo,
        Optional<String> lastFailure,
        Duration operationTimeout) {

    private static final EngineContact UNKNOWN = new EngineContact(
            "unknown", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Duration.ZERO);

    /**
     * Checks the parts.
     *
     * @param backend the backend's name
     * @param lastAnswerAgo time since the last answer
     * @param failingFor time the calls have been failing
     * @param lastFailureAgo time since the last failure
     * @param lastFailure the last failure's description
     * @param operationTimeout the operation timeout
     */
    public EngineContact {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(lastAnswerAgo, "lastAnswerAgo");
        Objects.requireNonNull(failingFor, "failingFor");
        Objects.requireNonNull(lastFailureAgo, "lastFailureAgo");
        Objects.requireNonNull(lastFailure, "lastFailure");
        Objects.requireNonNull(operationTimeout, "operationTimeout");
    }

    /**
     * Nothing known: what a manager that does not track its engine reports.
     *
     * @return a contact that counts as answering
     */
    public static EngineContact unknown() {
        return UNKNOWN;
    }

    /**
     * Whether the engine counts as answering (O2): no call has failed since its last answer; or
     * the failures have lasted less than an operation timeout; or the last of them is more than
     * two operation timeouts old with no call since. The last case lets a readiness check that
     * stopped the traffic let it back to find out: a manager that makes no call learns nothing
     * new, and must not stay down for good after an engine that came back.
     *
     * @return {@code false} while calls have been failing for a whole operation timeout
     */
    public boolean answering() {
        if (failingFor.isEmpty() || failingFor.get().compareTo(operationTimeout) < 0) {
            return true;
        }
        return lastFailureAgo
                .map(ago -> ago.compareTo(operationTimeout.multipliedBy(2)) > 0)
                .orElse(true);
    }
}
