package io.dlm.tck.jvm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What one JVM running a scheduled job did at each tick (S1, S2), one line per tick in a file of
 * its own. A tick is the whole second of the JVM's own wall clock at which it fired; times are
 * {@link System#nanoTime()} readings, {@code CLOCK_MONOTONIC} on Linux, one clock for every JVM on
 * the host even when their wall clocks differ, so the runs of several JVMs can be put in one order.
 *
 * <p>Each line is written with one unbuffered {@code write}, so it reaches the file at once; a
 * reader ignores a last line without its line break, which a writer may be in the middle of.
 *
 * <pre>
 * RAN tick firedAt ranAt       the job got the lock at once and ran at ranAt
 * SKIPPED tick firedAt         the lock was held elsewhere: the job did not run (S1)
 * </pre>
 */
final class TickJournal implements AutoCloseable {

    private final LineJournal out;

    private TickJournal(LineJournal out) {
        this.out = out;
    }

    /** Opens a journal to append to, created if missing. */
    static TickJournal append(Path file) throws IOException {
        return new TickJournal(LineJournal.append(file));
    }

    void ran(long tick, long firedAt, long ranAt) {
        out.write("RAN " + tick + " " + firedAt + " " + ranAt);
    }

    void skipped(long tick, long firedAt) {
        out.write("SKIPPED " + tick + " " + firedAt);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /**
     * The complete lines of a journal so far.
     *
     * @param client the client that writes it
     * @param file the journal
     * @return its entries in the order written; none if the file does not exist yet
     */
    static List<Entry> read(String client, Path file) throws IOException {
        return LineJournal.entries(file, line -> Entry.parse(client, line));
    }

    /**
     * One journal line: the tick of {@code client}'s own clock, when it fired and, if the job ran,
     * when it ran ({@code ranAt} is {@code firedAt} for a skipped tick).
     */
    record Entry(String client, long tick, boolean ran, long firedAt, long ranAt) {

        static Entry parse(String client, String line) {
            String[] words = line.split(" ");
            boolean ran = words[0].equals("RAN");
            long firedAt = Long.parseLong(words[2]);
            return new Entry(client, Long.parseLong(words[1]), ran, firedAt, ran ? Long.parseLong(words[3]) : firedAt);
        }

        @Override
        public String toString() {
            return client + (ran ? " ran " : " skipped ") + tick + " at " + ranAt;
        }
    }
}
