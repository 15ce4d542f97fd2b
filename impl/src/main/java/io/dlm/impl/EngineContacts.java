package io.dlm.impl;

import io.dlm.EngineContact;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * When a manager's engine last answered and since when its calls fail (O2), kept from the calls
 * the manager makes anyway, so that a health probe never calls the engine. Every engine call
 * reports here: an answer costs a volatile read, and a write at most once a millisecond, so
 * threads answering together do not fight over the field.
 */
final class EngineContacts {

    private static final long WRITE_EVERY_NANOS = 1_000_000L;

    private final String backend;
    private final Duration operationTimeout;
    private volatile boolean answeredOnce;
    private volatile long lastAnswer;
    private volatile boolean failing;
    private volatile long failingSince;
    private volatile @Nullable String lastFailure;

    EngineContacts(String backend, Duration operationTimeout) {
        this.backend = backend;
        this.operationTimeout = operationTimeout;
    }

    /** The engine answered a call, whatever it said. */
    void answered(long now) {
        if (failing) {
            failing = false;
        }
        if (!answeredOnce || now - lastAnswer > WRITE_EVERY_NANOS) {
            lastAnswer = now;
            answeredOnce = true;
        }
    }

    /**
     * A call ended without an answer.
     *
     * @param startedAt when the call was sent: an engine silent since then has not answered since
     */
    synchronized void failed(long startedAt, Throwable cause) {
        lastFailure = String.valueOf(cause);
        if (failing) {
            return;
        }
        // A call that was sent before the last answer has failed only since that answer.
        failingSince = answeredOnce && lastAnswer - startedAt > 0 ? lastAnswer : startedAt;
        failing = true;
    }

    EngineContact snapshot(long now) {
        boolean answered = answeredOnce;
        long answerAt = lastAnswer;
        boolean stillFailing = failing;
        long since = failingSince;
        String failure = lastFailure;
        return new EngineContact(
                backend,
                answered ? Optional.of(Duration.ofNanos(Math.max(0, now - answerAt))) : Optional.empty(),
                stillFailing ? Optional.of(Duration.ofNanos(Math.max(0, now - since))) : Optional.empty(),
                Optional.ofNullable(failure),
                operationTimeout);
    }
}
