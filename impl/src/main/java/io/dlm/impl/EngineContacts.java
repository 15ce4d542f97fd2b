package io.dlm.impl;

import io.dlm.EngineContact;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * When a manager's engine last answered and since when its calls fail (O2), kept from the calls
 * the manager makes anyway, so that a health probe never calls the engine. Whether the engine is
 * failing is decided from the instants, not from a flag, so that an answer and a failure reported
 * at once by two threads cannot leave a stale state behind: the engine is failing when its last
 * failure is newer than its last answer. An answer costs a volatile read or two, and a write at
 * most once a millisecond unless a failure is newer, so threads answering together do not fight
 * over the field.
 */
final class EngineContacts {

    private static final long WRITE_EVERY_NANOS = 1_000_000L;

    private final String backend;
    private final Duration operationTimeout;
    private volatile boolean answeredOnce;
    private volatile long lastAnswer;
    private volatile boolean failedOnce;
    private volatile long lastFailureAt;
    /** The start of the first call that failed after the last answer (guarded by this). */
    private volatile long failingSince;

    private volatile @Nullable String lastFailure;

    EngineContacts(String backend, Duration operationTimeout) {
        this.backend = backend;
        this.operationTimeout = operationTimeout;
    }

    /** The engine answered a call, whatever it said. */
    void answered(long now) {
        if (!answeredOnce || now - lastAnswer > WRITE_EVERY_NANOS || (failedOnce && lastFailureAt - lastAnswer >= 0)) {
            lastAnswer = now;
            answeredOnce = true;
        }
    }

    /**
     * A call ended without an answer.
     *
     * @param startedAt when the call was sent: an engine silent since then has not answered since
     * @param now when it ended
     */
    synchronized void failed(long startedAt, long now, Throwable cause) {
        lastFailure = String.valueOf(cause);
        boolean streakGoesOn = failedOnce && (!answeredOnce || lastFailureAt - lastAnswer > 0);
        if (!streakGoesOn) {
            // A call sent before the last answer has gone unanswered only since that answer.
            failingSince = answeredOnce && lastAnswer - startedAt > 0 ? lastAnswer : startedAt;
        }
        lastFailureAt = now;
        failedOnce = true;
    }

    EngineContact snapshot(long now) {
        boolean answered = answeredOnce;
        long answerAt = lastAnswer;
        boolean failed = failedOnce;
        long failureAt = lastFailureAt;
        long since = failingSince;
        boolean failing = failed && (!answered || failureAt - answerAt > 0);
        return new EngineContact(
                backend,
                answered ? Optional.of(ago(now, answerAt)) : Optional.empty(),
                failing ? Optional.of(ago(now, since)) : Optional.empty(),
                failed ? Optional.of(ago(now, failureAt)) : Optional.empty(),
                Optional.ofNullable(lastFailure),
                operationTimeout);
    }

    private static Duration ago(long now, long at) {
        return Duration.ofNanos(Math.max(0, now - at));
    }
}
