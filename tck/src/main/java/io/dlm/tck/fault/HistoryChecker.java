package io.dlm.tck.fault;

import io.dlm.tck.fault.History.Event;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The one checker of SPEC "Faults": whatever fault a test injected, its {@link History} must show
 * no two holders in a critical section at once, fencing tokens in order, and the resource
 * acquirable again after the fault healed.
 *
 * <p>Every check is sound: it reports only what the recorded times prove. Each event's recorded
 * interval contains the real one, and {@link System#nanoTime()} never goes back, so "A ended before
 * B started" is certain only when A's end reads strictly less than B's start; equal readings prove
 * nothing and are never reported.
 */
public final class HistoryChecker {

    /** Where {@link #assertSafe} and {@link #assertLiveAfter} keep the timeline of a failure. */
    private static final Path TIMELINES = Path.of("target", "fault-histories");

    private HistoryChecker() {}

    /**
     * The violations a history shows, each naming the rule it breaks:
     *
     * <ul>
     *   <li>M1/N1: two processes' critical sections on one resource overlap while both holders saw
     *       {@code isValid()} true at their start and end (a lease valid at both checks was live in
     *       between: an expired lease is never revived).
     *   <li>M3/N2: the fenced store rejected the write of a holder that saw its lease valid before
     *       and after it, so a larger token wrote while that lease was live.
     *   <li>F1: an acquisition that returned before another was called has a token that is not
     *       smaller.
     *   <li>M3: the fenced store accepted a write before another that carried a smaller token.
     * </ul>
     *
     * @param history the history to check
     * @return the violations, empty when the history is safe
     */
    public static List<String> violations(History history) {
        Check.notNull(history, "history");
        return violations(history.events());
    }

    /**
     * Passes when the history is safe; otherwise writes its timeline with the violations under
     * {@code target/fault-histories/} and fails.
     *
     * @param history the history to check
     * @throws AssertionError listing the violations and the timeline's path
     */
    public static void assertSafe(History history) {
        Check.notNull(history, "history");
        List<Event> events = history.events();
        List<String> violations = violations(events);
        if (violations.isEmpty()) {
            return;
        }
        List<String> findings = new ArrayList<>();
        findings.add(violations.size() + (violations.size() == 1 ? " violation:" : " violations:"));
        violations.forEach(v -> findings.add("  - " + v));
        fail(
                history,
                events,
                findings,
                violations.size() + " safety violation(s) in the fault history of " + history.testName() + ":\n  - "
                        + String.join("\n  - ", violations));
    }

    /**
     * Liveness after a fault heals: passes when some acquisition of {@code resource} (an operation
     * whose outcome is {@value History#ACQUIRED}) returned at or after {@code healedAt} and at most
     * {@code bound} after it. Otherwise writes the timeline and fails.
     *
     * @param history the history to check
     * @param resource the resource that must be acquirable again
     * @param healedAt {@link System#nanoTime()} when the fault healed
     * @param bound how soon after the heal an acquisition must have returned, e.g. one lease plus
     *     {@code dlm.operation.timeout}
     * @throws AssertionError when no acquisition returned in time, naming the timeline's path
     */
    public static void assertLiveAfter(History history, String resource, long healedAt, Duration bound) {
        Check.notNull(history, "history");
        Check.notNull(resource, "resource");
        Check.notNull(bound, "bound");
        if (bound.isNegative()) {
            throw new IllegalArgumentException("bound must not be negative: " + bound);
        }
        List<Event> events = history.events();
        long deadline = healedAt + bound.toNanos();
        boolean live = events.stream()
                .filter(e -> e.isAcquisition() && e.resource().equals(resource))
                .anyMatch(e -> e.returnedAt() >= healedAt && e.returnedAt() <= deadline);
        if (live) {
            return;
        }
        RelativeTime time = RelativeTime.of(events);
        String message = "Liveness after heal: no acquisition of " + resource + " returned within "
                + RelativeTime.length(bound.toNanos()) + " after the heal at " + time.at(healedAt) + " (by "
                + time.at(deadline) + ")";
        fail(history, events, List.of(message), message);
    }

    private static void fail(History history, List<Event> events, List<String> findings, String message) {
        Path file;
        try {
            file = Timeline.write(history, events, TIMELINES, findings);
        } catch (IOException e) {
            AssertionError error = new AssertionError(message + "\n(the timeline could not be written: " + e + ")");
            error.addSuppressed(e);
            throw error;
        }
        throw new AssertionError(message + "\nTimeline: " + file.toAbsolutePath());
    }

    private static List<String> violations(List<Event> events) {
        RelativeTime time = RelativeTime.of(events);
        List<String> found = new ArrayList<>();
        Map<String, List<Event>> sections = byResource(events, e -> e.kind() == Event.Kind.SECTION);
        sections.forEach((resource, list) -> overlappingValidSections(resource, list, time, found));
        sections.forEach((resource, list) -> rejectedValidWrites(resource, list, time, found));
        byResource(events, Event::isAcquisition)
                .forEach((resource, list) -> acquisitionsOutOfOrder(resource, list, time, found));
        byResource(events, e -> e.kind() == Event.Kind.SECTION && e.accepted())
                .forEach((resource, list) -> acceptedWritesOutOfOrder(resource, list, time, found));
        return found;
    }

    /** The events that pass {@code filter}, by resource, resources in name order for stable output. */
    private static Map<String, List<Event>> byResource(List<Event> events, Predicate<Event> filter) {
        return events.stream()
                .filter(filter)
                .collect(Collectors.groupingBy(Event::resource, TreeMap::new, Collectors.toList()));
    }

    /** M1/N1: a valid section's recorded interval lies within its lease's life. */
    private static void overlappingValidSections(
            String resource, List<Event> sections, RelativeTime time, List<String> found) {
        List<Event> valid = sections.stream()
                .filter(Event::validThroughout)
                .sorted(Comparator.comparingLong(Event::calledAt).thenComparingLong(Event::sequence))
                .toList();
        for (int i = 0; i < valid.size(); i++) {
            Event a = valid.get(i);
            // Sorted by start: once a section starts at or after a's end, so do all after it.
            for (int j = i + 1; j < valid.size() && valid.get(j).calledAt() < a.returnedAt(); j++) {
                Event b = valid.get(j);
                // b starts no earlier than a; strictly before a's end (loop bound), and a must start
                // strictly before b's end for a shared instant to be certain.
                if (!a.process().equals(b.process()) && a.calledAt() < b.returnedAt()) {
                    found.add(String.format(
                            Locale.ROOT,
                            "M1/N1: overlapping valid critical sections on %s: %s and %s,"
                                    + " both saw isValid() true before and after",
                            resource,
                            section(a, time),
                            section(b, time)));
                }
            }
        }
    }

    /** M3/N2: only a larger token can make the store reject, and it cannot exist during a live lease. */
    private static void rejectedValidWrites(
            String resource, List<Event> sections, RelativeTime time, List<String> found) {
        sections.stream()
                .filter(e -> e.validThroughout() && !e.accepted())
                .sorted(Comparator.comparingLong(Event::calledAt).thenComparingLong(Event::sequence))
                .forEach(e -> found.add(String.format(
                        Locale.ROOT,
                        "M3/N2: fenced store rejected the write of %s on %s although it saw isValid() true before"
                                + " and after: a larger token wrote while its lease was live",
                        section(e, time),
                        resource)));
    }

    /** F1: an acquisition that certainly came later must carry a strictly larger token. */
    private static void acquisitionsOutOfOrder(
            String resource, List<Event> acquisitions, RelativeTime time, List<String> found) {
        tokensOutOfOrder(
                acquisitions,
                true,
                (earlier, later) -> found.add(String.format(
                        Locale.ROOT,
                        "F1: tokens out of order on %s: %s acquired token %d (returned %s) before %s called %s (%s),"
                                + " which acquired token %d",
                        resource,
                        earlier.process(),
                        earlier.token(),
                        time.at(earlier.returnedAt()),
                        later.process(),
                        later.action(),
                        time.at(later.calledAt()),
                        later.token())));
    }

    /**
     * M3: a section's interval brackets its write, so of two accepted writes whose sections do not
     * overlap the later must carry a token at least as large.
     */
    private static void acceptedWritesOutOfOrder(
            String resource, List<Event> accepted, RelativeTime time, List<String> found) {
        tokensOutOfOrder(
                accepted,
                false,
                (earlier, later) -> found.add(String.format(
                        Locale.ROOT,
                        "M3: fenced store accepted writes out of token order on %s: %s before %s",
                        resource,
                        section(earlier, time),
                        section(later, time))));
    }

    /** A section as {@code holder-a token 5 [+120.3 ms, +180.0 ms]}. */
    private static String section(Event section, RelativeTime time) {
        return section.process() + " token " + section.token() + " "
                + time.interval(section.calledAt(), section.returnedAt());
    }

    /**
     * Reports each event {@code later} that some event {@code earlier} certainly preceded (earlier's
     * end reads strictly less than later's start) although earlier's token is larger ({@code strict}:
     * or equal). Against each, the earlier event with the largest token is named. One sweep: events
     * by start, and a cursor over events by end that keeps the largest token of those ended.
     */
    private static void tokensOutOfOrder(List<Event> events, boolean strict, BiConsumer<Event, Event> report) {
        List<Event> byStart = events.stream()
                .sorted(Comparator.comparingLong(Event::calledAt).thenComparingLong(Event::sequence))
                .toList();
        List<Event> byEnd = events.stream()
                .sorted(Comparator.comparingLong(Event::returnedAt).thenComparingLong(Event::sequence))
                .toList();
        Event largest = null;
        int ended = 0;
        for (Event later : byStart) {
            while (ended < byEnd.size() && byEnd.get(ended).returnedAt() < later.calledAt()) {
                Event candidate = byEnd.get(ended++);
                if (largest == null || candidate.token() > largest.token()) {
                    largest = candidate;
                }
            }
            if (largest != null && (largest.token() > later.token() || (strict && largest.token() == later.token()))) {
                report.accept(largest, later);
            }
        }
    }
}
