package io.dlm.tck.fault;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every operation of a fault test, on {@link System#nanoTime()}: on Linux that is {@code
 * CLOCK_MONOTONIC}, which all JVMs on one host share, so operations that forked JVMs report line up
 * with the test's own. {@link HistoryChecker} judges the history; {@link #writeTimeline(Path)}
 * shows it to a person.
 *
 * <p>Every time is taken so that the recorded interval contains the real one: a call's time is read
 * before the operation starts, its return time after it returned. The checker relies on that to
 * never report an order it cannot be sure of.
 *
 * <p>Thread-safe: any number of threads record at once.
 */
public final class History {

    /** The {@link Event#token()} of an event that carries no fencing token. */
    public static final long NO_TOKEN = Long.MIN_VALUE;

    /** The {@link Event#returnedAt()} of an operation whose return was not (yet) recorded. */
    public static final long NOT_RETURNED = Long.MAX_VALUE;

    /** The outcome of a successful acquisition; such an operation must carry its token. */
    public static final String ACQUIRED = "acquired";

    /** The {@link Event#outcome()} of an operation whose return was not (yet) recorded. */
    public static final String PENDING = "pending";

    private final String testName;
    private final Instant startedAt = Instant.now();
    private final long startedNanos = System.nanoTime();
    private final Object lock = new Object();
    /** Guarded by {@link #lock}; an operation's slot is replaced when it returns. */
    private final List<Event> events = new ArrayList<>();

    /**
     * Starts an empty history.
     *
     * @param testName the test's name, used in the timeline and its file name
     */
    public History(String testName) {
        this.testName = Check.notNull(testName, "testName");
    }

    /**
     * The name this history was created with.
     *
     * @return the test's name
     */
    public String testName() {
        return testName;
    }

    /**
     * Records the call of an operation now; the returned {@link Op} records its return.
     *
     * @param process who calls (a client, a JVM), as the timeline should name it
     * @param action what is called, e.g. {@code "acquire"}
     * @param resource the resource it is called on
     * @return the operation, to complete exactly once
     */
    public Op call(String process, String action, String resource) {
        checkOperation(process, action, resource);
        // Read before taking the lock: the recorded call must not be later than the real one.
        long calledAt = System.nanoTime();
        synchronized (lock) {
            int index = events.size();
            events.add(Event.pending(index, process, action, resource, calledAt));
            return new Op(index);
        }
    }

    /**
     * Records an operation that another JVM performed and reported.
     *
     * @param process who performed it
     * @param action what was called
     * @param resource the resource it was called on
     * @param calledAt that JVM's {@link System#nanoTime()} read before the call
     * @param returnedAt that JVM's {@link System#nanoTime()} read after the return
     * @param outcome its result, e.g. {@value #ACQUIRED} or {@code "failed LockException: ..."}
     * @param token its fencing token, or {@link #NO_TOKEN}; required when the outcome is {@value
     *     #ACQUIRED}
     */
    public void reported(
            String process,
            String action,
            String resource,
            long calledAt,
            long returnedAt,
            String outcome,
            long token) {
        checkOperation(process, action, resource);
        checkOutcome(outcome, token);
        if (returnedAt < calledAt || returnedAt == NOT_RETURNED) {
            throw new IllegalArgumentException(
                    "returnedAt must not be before calledAt: " + returnedAt + " < " + calledAt);
        }
        synchronized (lock) {
            events.add(Event.pending(events.size(), process, action, resource, calledAt)
                    .returning(returnedAt, outcome, token));
        }
    }

    /**
     * Records a fault or test step, shown in the timeline, e.g. {@code "partition: holder's proxy
     * black-holed"}.
     *
     * @param text what happened
     */
    public void note(String text) {
        Check.notNull(text, "text");
        long at = System.nanoTime();
        synchronized (lock) {
            events.add(new Event(
                    Event.Kind.NOTE, events.size(), "", "note", "", at, at, text, NO_TOKEN, false, false, false));
        }
    }

    /**
     * Records one critical section: the holder checked {@code lease.isValid()}, wrote to the fenced
     * store with its token, then checked {@code isValid()} again. The two times must bracket the
     * write: read {@code validBeforeReturnedAt} after the first check returned and before the
     * write, {@code validAfterCalledAt} after the write returned and before the second check.
     *
     * @param process the holder
     * @param resource the resource its lease is on
     * @param token the lease's fencing token, sent with the write
     * @param validBefore what the first {@code isValid()} returned
     * @param validBeforeReturnedAt {@link System#nanoTime()} after the first check returned
     * @param accepted whether the fenced store accepted the write
     * @param validAfter what the second {@code isValid()} returned
     * @param validAfterCalledAt {@link System#nanoTime()} before the second check was called
     */
    public void section(
            String process,
            String resource,
            long token,
            boolean validBefore,
            long validBeforeReturnedAt,
            boolean accepted,
            boolean validAfter,
            long validAfterCalledAt) {
        Check.notNull(process, "process");
        Check.notNull(resource, "resource");
        if (token == NO_TOKEN) {
            throw new IllegalArgumentException("token must be the lease's fencing token, not NO_TOKEN");
        }
        if (validAfterCalledAt < validBeforeReturnedAt) {
            throw new IllegalArgumentException("validAfterCalledAt must not be before validBeforeReturnedAt: "
                    + validAfterCalledAt + " < " + validBeforeReturnedAt);
        }
        synchronized (lock) {
            events.add(new Event(
                    Event.Kind.SECTION,
                    events.size(),
                    process,
                    "write",
                    resource,
                    validBeforeReturnedAt,
                    validAfterCalledAt,
                    accepted ? "accepted" : "rejected",
                    token,
                    validBefore,
                    accepted,
                    validAfter));
        }
    }

    /**
     * A snapshot of the events recorded so far.
     *
     * @return the events in recording order (an operation sits where it was called)
     */
    public List<Event> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /**
     * Writes the timeline as text to {@code dir/<testName sanitised>.txt}, replacing an earlier one.
     *
     * @param dir the directory, created if missing
     * @return the file written
     * @throws IOException if it cannot be written
     */
    public Path writeTimeline(Path dir) throws IOException {
        Check.notNull(dir, "dir");
        return Timeline.write(this, dir, List.of());
    }

    /** When the history was created, by the wall clock, to line the timeline up with logs. */
    Instant startedAt() {
        return startedAt;
    }

    /** When the history was created, by {@link System#nanoTime()}. */
    long startedNanos() {
        return startedNanos;
    }

    private void complete(int index, String outcome, long token) {
        long returnedAt = System.nanoTime();
        synchronized (lock) {
            Event call = events.get(index);
            if (call.returned()) {
                throw new IllegalStateException("the return of " + call.action() + " " + call.resource() + " by "
                        + call.process() + " is already recorded: " + call.outcome());
            }
            events.set(index, call.returning(returnedAt, outcome, token));
        }
    }

    /** An operation's who, what and where, checked before anything is read or recorded. */
    private static void checkOperation(String process, String action, String resource) {
        Check.notNull(process, "process");
        Check.notNull(action, "action");
        Check.notNull(resource, "resource");
    }

    private static void checkOutcome(String outcome, long token) {
        Check.notNull(outcome, "outcome");
        if (ACQUIRED.equals(outcome) && token == NO_TOKEN) {
            // Without its token an acquisition would silently drop out of the F1 check.
            throw new IllegalArgumentException("token is required when the outcome is '" + ACQUIRED + "'");
        }
    }

    private static String describe(Throwable error) {
        StringBuilder text =
                new StringBuilder("failed ").append(error.getClass().getSimpleName());
        if (error.getMessage() != null) {
            text.append(": ").append(error.getMessage());
        }
        Throwable cause = error.getCause();
        if (cause != null) {
            text.append(" (cause ").append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null) {
                text.append(": ").append(cause.getMessage());
            }
            text.append(')');
        }
        return text.toString();
    }

    /** An operation called through {@link History#call}, whose return is recorded exactly once. */
    public final class Op {

        private final int index;

        private Op(int index) {
            this.index = index;
        }

        /**
         * Records that the operation returned now with a fencing token.
         *
         * @param outcome its result, e.g. {@value History#ACQUIRED}
         * @param token the token it returned
         * @throws IllegalStateException if its return was recorded already
         */
        public void ok(String outcome, long token) {
            checkOutcome(outcome, token);
            complete(index, outcome, token);
        }

        /**
         * Records that the operation returned now, without a token.
         *
         * @param outcome its result, e.g. {@code "released"} or {@code "timed out"}
         * @throws IllegalStateException if its return was recorded already
         */
        public void ok(String outcome) {
            ok(outcome, NO_TOKEN);
        }

        /**
         * Records that the operation threw now.
         *
         * @param error what it threw; the timeline shows its class and message
         * @throws IllegalStateException if its return was recorded already
         */
        public void failed(Throwable error) {
            Check.notNull(error, "error");
            complete(index, describe(error), NO_TOKEN);
        }
    }

    /**
     * One recorded event. Its interval {@code [calledAt, returnedAt]} contains what it stands for:
     *
     * <ul>
     *   <li>{@link Kind#CALL}: an operation from its call to its return; {@code returnedAt} is
     *       {@link History#NOT_RETURNED} and the outcome {@value History#PENDING} until it returns.
     *   <li>{@link Kind#NOTE}: a test step at one instant; the outcome is its text, the process and
     *       resource are empty.
     *   <li>{@link Kind#SECTION}: a critical section's write, from {@code validBeforeReturnedAt} to
     *       {@code validAfterCalledAt}; the action is {@code "write"}, the outcome {@code
     *       "accepted"} or {@code "rejected"}.
     * </ul>
     *
     * @param kind what the event stands for
     * @param sequence its place in recording order
     * @param process who performed it
     * @param action what was called
     * @param resource what it was called on
     * @param calledAt when it started, by {@link System#nanoTime()}
     * @param returnedAt when it ended, by {@link System#nanoTime()}
     * @param outcome its result
     * @param token its fencing token, or {@link History#NO_TOKEN}
     * @param validBefore for a section, what the first {@code isValid()} returned
     * @param accepted for a section, whether the fenced store accepted the write
     * @param validAfter for a section, what the second {@code isValid()} returned
     */
    public record Event(
            Kind kind,
            long sequence,
            String process,
            String action,
            String resource,
            long calledAt,
            long returnedAt,
            String outcome,
            long token,
            boolean validBefore,
            boolean accepted,
            boolean validAfter) {

        /** What an event stands for. */
        public enum Kind {
            /** An operation, from its call to its return. */
            CALL,
            /** A fault or test step. */
            NOTE,
            /** A critical section's write to the fenced store. */
            SECTION
        }

        /**
         * Checks the components that must be present.
         *
         * @param kind what the event stands for
         * @param sequence its place in recording order
         * @param process who performed it
         * @param action what was called
         * @param resource what it was called on
         * @param calledAt when it started
         * @param returnedAt when it ended
         * @param outcome its result
         * @param token its fencing token
         * @param validBefore for a section, the first check
         * @param accepted for a section, the store's answer
         * @param validAfter for a section, the second check
         */
        public Event {
            Check.notNull(kind, "kind");
            Check.notNull(process, "process");
            Check.notNull(action, "action");
            Check.notNull(resource, "resource");
            Check.notNull(outcome, "outcome");
        }

        /** An operation's event as it is called: not returned, pending, no token. */
        static Event pending(long sequence, String process, String action, String resource, long calledAt) {
            return new Event(
                    Kind.CALL,
                    sequence,
                    process,
                    action,
                    resource,
                    calledAt,
                    NOT_RETURNED,
                    PENDING,
                    NO_TOKEN,
                    false,
                    false,
                    false);
        }

        /**
         * Whether the operation's return is recorded; always true for notes and sections.
         *
         * @return {@code false} for a call still pending
         */
        public boolean returned() {
            return returnedAt != NOT_RETURNED;
        }

        /**
         * Whether the event carries a fencing token.
         *
         * @return {@code false} when {@link #token()} is {@link History#NO_TOKEN}
         */
        public boolean hasToken() {
            return token != NO_TOKEN;
        }

        /**
         * Whether this is an operation that acquired its resource.
         *
         * @return {@code true} for a returned call whose outcome is {@value History#ACQUIRED}
         */
        public boolean isAcquisition() {
            return kind == Kind.CALL && returned() && ACQUIRED.equals(outcome);
        }

        /**
         * Whether this is a section whose holder saw its lease valid at both checks, so the lease
         * was live throughout {@code [calledAt, returnedAt]}.
         *
         * @return {@code true} for such a section
         */
        public boolean validThroughout() {
            return kind == Kind.SECTION && validBefore && validAfter;
        }

        /** This call's event once it returned at {@code at} with its result. */
        private Event returning(long at, String result, long fencingToken) {
            return new Event(
                    kind,
                    sequence,
                    process,
                    action,
                    resource,
                    calledAt,
                    at,
                    result,
                    fencingToken,
                    validBefore,
                    accepted,
                    validAfter);
        }
    }
}
