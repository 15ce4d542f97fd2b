package io.dlm.tck.jvm;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A file a forked JVM writes one line at a time and the test reads while it runs: each line goes
 * out in one unbuffered {@code write}, so it survives a {@code SIGKILL} right after; a reader
 * ignores a last line without its line break, which the writer may be in the middle of.
 */
final class LineJournal implements AutoCloseable {

    private final FileOutputStream out;

    private LineJournal(FileOutputStream out) {
        this.out = out;
    }

    /** Opens a journal to append to, created if missing. */
    static LineJournal append(Path file) throws IOException {
        return new LineJournal(new FileOutputStream(file.toFile(), true));
    }

    /** Writes one line; several threads may write, one line at a time. */
    synchronized void write(String line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /**
     * The complete lines of a journal so far.
     *
     * @param file the journal
     * @return its lines in the order written; none if the file does not exist yet
     */
    private static List<String> completeLines(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        return new ArrayList<>(List.of(text.substring(0, end).split("\n", -1)));
    }

    /**
     * The complete lines of a journal so far, each read as an entry.
     *
     * @param file the journal
     * @param parse reads one line
     * @return its entries in the order written, in a list the caller may change; none if the file
     *     does not exist yet
     */
    static <E> List<E> entries(Path file, Function<String, E> parse) throws IOException {
        List<E> entries = new ArrayList<>();
        for (String line : completeLines(file)) {
            entries.add(parse.apply(line));
        }
        return entries;
    }
}
