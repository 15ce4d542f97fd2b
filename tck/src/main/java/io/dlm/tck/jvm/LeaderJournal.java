package io.dlm.tck.jvm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What one campaigning JVM did (S3), one line per event in a file of its own, so that the test can
 * read it while the JVM runs, after it was killed, and while it is paused. Times are {@link
 * System#nanoTime()} readings: on Linux that is {@code CLOCK_MONOTONIC}, one clock for every JVM
 * on the host, so the events of several JVMs can be put in one order.
 *
 * <p>Each line is written with one unbuffered {@code write}, so it reaches the file at once and
 * survives a {@code SIGKILL} right after; a reader ignores a last line without its line break,
 * which a writer may be in the middle of.
 *
 * <pre>
 * ELECTED token at                                      the listener was told elected
 * REVOKED token at                                      the listener was told revoked
 * ACT token checkedAt validFrom validTo validAfter       one step of the leader's work
 * </pre>
 *
 * An act: at {@code checkedAt} the leader asked {@code Leadership.current()}, which returned the
 * lease of {@code token}; it worked from {@code validFrom} (read after that check) to {@code
 * validTo} (read before the second check), and {@code lease.isValid()} then said {@code
 * validAfter}.
 */
final class LeaderJournal implements AutoCloseable {

    private final LineJournal out;

    private LeaderJournal(LineJournal out) {
        this.out = out;
    }

    /** Opens a journal to append to, created if missing. */
    static LeaderJournal append(Path file) throws IOException {
        return new LeaderJournal(LineJournal.append(file));
    }

    void elected(long token, long at) {
        out.write("ELECTED " + token + " " + at);
    }

    void revoked(long token, long at) {
        out.write("REVOKED " + token + " " + at);
    }

    void act(long token, long checkedAt, long validFrom, long validTo, boolean validAfter) {
        out.write("ACT " + token + " " + checkedAt + " " + validFrom + " " + validTo + " " + validAfter);
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

    /** What a journal line says. */
    enum Kind {
        ELECTED,
        REVOKED,
        ACT
    }

    /**
     * One journal line. For {@code ELECTED} and {@code REVOKED}, {@code at} is the moment, and the
     * other times equal it; for {@code ACT} see the class description.
     */
    record Entry(
            Kind kind, String client, long token, long checkedAt, long validFrom, long validTo, boolean validAfter) {

        /** When it happened: the moment of an election or revocation, the start of an act. */
        long at() {
            return kind == Kind.ACT ? validFrom : checkedAt;
        }

        static Entry parse(String client, String line) {
            String[] words = line.split(" ");
            Kind kind = Kind.valueOf(words[0]);
            long token = Long.parseLong(words[1]);
            long at = Long.parseLong(words[2]);
            if (kind != Kind.ACT) {
                return new Entry(kind, client, token, at, at, at, true);
            }
            return new Entry(
                    kind,
                    client,
                    token,
                    at,
                    Long.parseLong(words[3]),
                    Long.parseLong(words[4]),
                    Boolean.parseBoolean(words[5]));
        }
    }
}
