package io.dlm.tck.support;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * System properties set for one test and put back as they were when it is closed: removed where
 * there was none before, restored where there was. Tests of the CDI layer configure it this way
 * (D1, D6: the extension and the overrides read MicroProfile Config, and SmallRye Config reads
 * system properties live), so each test's settings end with it.
 */
public final class TemporarySystemProperties implements AutoCloseable {

    // Key to the value it had before, null where it had none.
    private final Map<String, String> previous = new HashMap<>();

    private TemporarySystemProperties(Map<String, String> properties) {
        properties.forEach((key, value) -> previous.put(key, System.setProperty(key, value)));
    }

    /**
     * Sets {@code properties} until the returned object is closed (D1, D6).
     *
     * @param properties the keys and values to set
     * @return what puts the earlier values back when closed
     */
    public static TemporarySystemProperties set(Map<String, String> properties) {
        return new TemporarySystemProperties(properties);
    }

    /**
     * Starts what reads these properties, such as a CDI container (D1, D6), and puts the earlier
     * values back if that fails, since the caller then has nothing to close.
     *
     * @param <T> what is started
     * @param start starts it
     * @return what {@code start} returned
     */
    public <T> T closeOnFailure(Supplier<T> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Puts back the values the properties had before, removing those that had none. */
    @Override
    public void close() {
        previous.forEach((key, value) -> {
            if (value == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, value);
            }
        });
    }
}
