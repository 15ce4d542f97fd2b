package io.dlm.backend.etcd;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what one class logs through {@link System.Logger}, which {@code java.util.logging}
 * backs by default; closing it stops recording.
 */
final class CapturedLog extends Handler implements AutoCloseable {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;

    CapturedLog(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    /** The warnings logged so far, their parameters filled in. */
    List<String> warnings() {
        return records.stream()
                .filter(logged -> logged.getLevel().intValue() >= Level.WARNING.intValue())
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
