package io.dlm.backend.redis;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one class's {@code java.util.logging} logger logs: the default backing of the
 * {@link System.Logger} the backend logs through. Close it to stop collecting.
 */
final class CapturedLog extends Handler implements AutoCloseable {

    final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;

    CapturedLog(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    /** The text of every record, its parameters filled in. */
    List<String> messages() {
        return records.stream()
                .map(logged -> MessageFormat.format(logged.getMessage(), logged.getParameters()))
                .toList();
    }

    @Override
    public void publish(LogRecord logRecord) {
        records.add(logRecord);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
