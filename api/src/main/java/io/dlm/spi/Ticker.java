package io.dlm.spi;

/**
 * A monotonic clock in nanoseconds (E3). Injected rather than global so that tests can step time.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * The current reading; only differences between readings mean anything.
     *
     * @return nanoseconds from an arbitrary origin
     */
    long nanoTime();

    /**
     * The JVM's monotonic clock, {@link System#nanoTime()}.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return System::nanoTime;
    }
}
