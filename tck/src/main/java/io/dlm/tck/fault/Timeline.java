package io.dlm.tck.fault;

import io.dlm.tck.fault.History.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * Renders a history as text a person reads from top to bottom: a header, then one line per event
 * in time order (a history is recorded in the order threads got to the recorder, and reported
 * events arrive late), then what the checker found.
 */
final class Timeline {

    private static final int MAX_NAME_LENGTH = 150;

    private Timeline() {}

    /**
     * Writes the timeline of {@code events} to {@code dir/<test name>.txt}.
     *
     * @param history the history, for its name and start
     * @param events the snapshot of its events that {@code findings} were computed from
     * @param dir the directory, created if missing
     * @param findings lines to add at the end, none when empty
     */
    static Path write(History history, List<Event> events, Path dir, List<String> findings) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(fileName(history.testName()));
        Files.writeString(file, render(history, events, findings), StandardCharsets.UTF_8);
        return file;
    }

    static Path write(History history, Path dir, List<String> findings) throws IOException {
        return write(history, history.events(), dir, findings);
    }

    /** The test name with every character a file system might mind replaced by {@code _}. */
    static String fileName(String testName) {
        String safe = testName.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.length() > MAX_NAME_LENGTH) {
            safe = safe.substring(0, MAX_NAME_LENGTH);
        }
        // A name of dots only would name the directory or its parent.
        if (safe.isEmpty() || safe.chars().allMatch(c -> c == '.')) {
            safe = "history";
        }
        return safe + ".txt";
    }

    static String render(History history, List<Event> events, List<String> findings) {
        RelativeTime time = RelativeTime.of(events);
        List<Event> ordered = events.stream()
                .sorted(Comparator.comparingLong(Event::calledAt).thenComparingLong(Event::sequence))
                .toList();
        int timeWidth = ordered.stream()
                .mapToInt(e -> time.at(e.calledAt()).length())
                .max()
                .orElse(0);
        int processWidth = ordered.stream()
                .filter(e -> e.kind() != Event.Kind.NOTE)
                .mapToInt(e -> e.process().length())
                .max()
                .orElse(0);
        int whatWidth = ordered.stream()
                .filter(e -> e.kind() == Event.Kind.CALL)
                .mapToInt(e -> what(e).length())
                .max()
                .orElse(0);

        StringBuilder text = new StringBuilder();
        text.append("Fault history of ").append(oneLine(history.testName())).append('\n');
        Instant firstEvent = history.startedAt().plusNanos(time.origin() - history.startedNanos());
        text.append("Started ")
                .append(history.startedAt())
                .append("; times are ms after the first event")
                .append(events.isEmpty() ? "" : " (" + firstEvent + ")")
                .append(", by System.nanoTime()\n");
        text.append(events.size())
                .append(events.size() == 1 ? " event" : " events")
                .append("\n\n");
        for (Event event : ordered) {
            text.append("  ")
                    .append(pad(time.at(event.calledAt()), timeWidth, true))
                    .append("  ");
            switch (event.kind()) {
                case NOTE ->
                    text.append("---- ").append(oneLine(event.outcome())).append(" ----");
                case SECTION ->
                    text.append(pad(event.process(), processWidth, false))
                            .append("  ")
                            .append(what(event))
                            .append(" token=")
                            .append(event.token())
                            .append(" valid=")
                            .append(event.validBefore())
                            .append('/')
                            .append(event.validAfter())
                            .append(' ')
                            .append(event.outcome())
                            .append("  (")
                            .append(RelativeTime.length(event.returnedAt() - event.calledAt()))
                            .append(')');
                case CALL -> {
                    text.append(pad(event.process(), processWidth, false))
                            .append("  ")
                            .append(pad(what(event), whatWidth, false))
                            .append("  -> ");
                    if (event.returned()) {
                        text.append(oneLine(event.outcome()));
                        if (event.hasToken()) {
                            text.append(" token=").append(event.token());
                        }
                        text.append("  (")
                                .append(RelativeTime.length(event.returnedAt() - event.calledAt()))
                                .append(')');
                    } else {
                        text.append("no return recorded");
                    }
                }
            }
            text.append('\n');
        }
        if (!findings.isEmpty()) {
            text.append('\n');
            findings.forEach(line -> text.append(line).append('\n'));
        }
        return text.toString();
    }

    private static String what(Event event) {
        return event.resource().isEmpty() ? event.action() : event.action() + " " + event.resource();
    }

    /** Exception messages and notes may span lines; the timeline keeps one event per line. */
    private static String oneLine(String text) {
        return text.replaceAll("\\R", " | ");
    }

    private static String pad(String text, int width, boolean right) {
        if (text.length() >= width) {
            return text;
        }
        String spaces = " ".repeat(width - text.length());
        return right ? spaces + text : text + spaces;
    }
}
