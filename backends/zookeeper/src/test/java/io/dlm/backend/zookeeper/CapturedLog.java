package io.dlm.backend.zookeeper;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what one class logs through its {@link System.Logger}, which the JDK backs with {@code
 * java.util.logging} when no other logging framework is installed. Closing it stops the recording.
 */
final class CapturedLog extends Handler implements AutoCloseable {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;

    CapturedLog(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    /** The text of every warning, its parameters filled in. */
    List<String> warnings() {
        return records.stream()
                .filter(logged -> logged.getLevel().equals(Level.WARNING))
                .map(logged -> MessageFormat.format(logged.getMessage(), logged.getParameters()))
                .toList();
    }

    @Override
    public void publish(LogRecord logged) {
        records.add(logged);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
