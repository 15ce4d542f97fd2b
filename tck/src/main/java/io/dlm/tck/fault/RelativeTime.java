package io.dlm.tck.fault;

import io.dlm.tck.fault.History.Event;
import java.util.List;
import java.util.Locale;

/**
 * Shows {@link System#nanoTime()} readings as milliseconds after a history's first event, to 0.1
 * ms, the same way in the timeline and in the checker's messages so a person can match them.
 */
record RelativeTime(long origin) {

    /** The times of these events, relative to the earliest of them (0 when there are none). */
    static RelativeTime of(List<Event> events) {
        long origin = events.stream().mapToLong(Event::calledAt).min().orElse(0);
        return new RelativeTime(origin);
    }

    /** A reading as {@code +120.3 ms}. */
    String at(long nanos) {
        return String.format(Locale.ROOT, "%+.1f ms", (nanos - origin) / 1e6);
    }

    /** An interval as {@code [+120.3 ms, +180.0 ms]}. */
    String interval(long from, long to) {
        return "[" + at(from) + ", " + at(to) + "]";
    }

    /** A duration as {@code 12.3 ms}. */
    static String length(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
