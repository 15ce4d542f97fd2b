package io.dlm.tck.support;

import java.text.MessageFormat;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what one class logs through its {@link System.Logger}, which the JDK backs with {@code
 * java.util.logging} when no other logging framework is installed, so a test can check the
 * warnings the contract asks for (E1a: an unknown {@code dlm.*} key is logged as a warning).
 * Recording starts when it is made and stops when it is closed, so a test opens it in a
 * try-with-resources block around the code whose logging it checks.
 */
public final class CapturedLog extends Handler implements AutoCloseable {

    // Appended to by whichever thread logs, read by the test thread.
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;

    /**
     * Starts recording what {@code source} logs (E1a).
     *
     * @param source the class whose logger, named after it, is recorded
     */
    public CapturedLog(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    /**
     * Every record logged so far, of any level, in the order logged (E1a).
     *
     * @return a read-only live view: it grows as more is logged
     */
    public List<LogRecord> records() {
        return Collections.unmodifiableList(records);
    }

    /**
     * The text of every record logged so far, its parameters filled in (E1a).
     *
     * @return the texts, in the order logged
     */
    public List<String> messages() {
        return records.stream().map(CapturedLog::text).toList();
    }

    /**
     * The text of every warning or worse logged so far, its parameters filled in (E1a).
     *
     * @return the texts, in the order logged
     */
    public List<String> warnings() {
        return records.stream()
                .filter(logged -> logged.getLevel().intValue() >= Level.WARNING.intValue())
                .map(CapturedLog::text)
                .toList();
    }

    private static String text(LogRecord logged) {
        return MessageFormat.format(logged.getMessage(), logged.getParameters());
    }

    /**
     * Records {@code logged}; called by {@code java.util.logging}, not by tests.
     *
     * @param logged what was logged
     */
    @Override
    public void publish(LogRecord logged) {
        records.add(logged);
    }

    /** Nothing to flush: records are kept in memory. */
    @Override
    public void flush() {}

    /** Stops recording; what was recorded stays readable. */
    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
