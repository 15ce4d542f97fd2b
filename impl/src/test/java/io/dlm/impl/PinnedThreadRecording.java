package io.dlm.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording of every {@code jdk.VirtualThreadPinned} event, with its stack: a virtual thread
 * that parked or blocked while it could not leave its carrier thread. The threshold is zero, so a
 * pin counts however short it was (JFR's default leaves out those under 20 ms).
 *
 * <p>Read back from a dump once stopped, rather than streamed, so that no event still in a buffer
 * is missed.
 */
final class PinnedThreadRecording implements AutoCloseable {

    static final String EVENT = "jdk.VirtualThreadPinned";

    private final Recording recording = new Recording();

    private PinnedThreadRecording() {
        recording.setName("dlm-pinned-virtual-threads");
        recording.enable(EVENT).withThreshold(Duration.ZERO).withStackTrace();
    }

    /**
     * Starts recording.
     *
     * @return the running recording
     * @throws IllegalStateException if this JVM's Flight Recorder has no such event, so that a
     *     recording of nothing cannot pass for a recording of no pins
     */
    static PinnedThreadRecording start() {
        boolean known = FlightRecorder.getFlightRecorder().getEventTypes().stream()
                .anyMatch(type -> type.getName().equals(EVENT));
        if (!known) {
            throw new IllegalStateException("this JVM's Flight Recorder has no event " + EVENT);
        }
        PinnedThreadRecording started = new PinnedThreadRecording();
        started.recording.start();
        return started;
    }

    /**
     * Stops recording and reads back what it saw.
     *
     * @return every pin recorded
     * @throws IOException if the dump cannot be written or read
     */
    List<RecordedEvent> stop() throws IOException {
        recording.stop();
        Path dump = Files.createTempFile("dlm-pinned-", ".jfr");
        try {
            recording.dump(dump);
            return RecordingFile.readAllEvents(dump).stream()
                    .filter(event -> event.getEventType().getName().equals(EVENT))
                    .collect(Collectors.toList());
        } finally {
            Files.deleteIfExists(dump);
        }
    }

    /**
     * Tells whether a frame of a class in the package (or its subpackages) is on the pin's stack.
     *
     * @param event a pin
     * @param packageName such as {@code io.dlm}
     * @return whether that code was running when the thread pinned
     */
    static boolean involves(RecordedEvent event, String packageName) {
        if (event.getStackTrace() == null) {
            return false;
        }
        String prefix = packageName + ".";
        // The tests' own frames (a waiter's loop) are on every waiter's stack: only main code counts.
        return event.getStackTrace().getFrames().stream()
                .map(frame -> frame.getMethod().getType().getName())
                .anyMatch(type -> type.startsWith(prefix) && !isTestCode(type));
    }

    private static boolean isTestCode(String type) {
        String outer = type.contains("$") ? type.substring(0, type.indexOf('$')) : type;
        return outer.endsWith("Test") || outer.endsWith("Recording") || outer.equals("io.dlm.impl.VirtualThreads");
    }

    /**
     * The pin's stack, one frame a line, for a failure message.
     *
     * @param event a pin
     * @return the frames, innermost first
     */
    static String stackOf(RecordedEvent event) {
        if (event.getStackTrace() == null) {
            return "(no stack trace)";
        }
        return event.getStackTrace().getFrames().stream()
                .map(PinnedThreadRecording::frameLine)
                .collect(Collectors.joining("\n  at ", EVENT + " for " + event.getDuration() + "\n  at ", ""));
    }

    private static String frameLine(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName() + " line "
                + frame.getLineNumber();
    }

    @Override
    public void close() {
        recording.close();
    }
}
