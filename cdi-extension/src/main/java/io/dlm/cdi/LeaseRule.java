package io.dlm.cdi;

import io.dlm.spi.Durations;
import java.time.Duration;

/**
 * The lease arithmetic a plan needs at deployment (E1, V3), read from the same {@code dlm.lease.*}
 * keys the runtime reads, so that {@code lease = -1} gives the lease {@code lock} would give.
 *
 * <p>The runtime's own settings are not public API, and the CDI layer must not depend on {@code
 * dlm-impl} at compile time; these three keys and one formula are small enough to read twice. The
 * runtime still clamps every lease itself, and rounds it to its backend's granularity.
 *
 * @param factor {@code dlm.lease.factor}, above 0 (default 2)
 * @param min {@code dlm.lease.min} (default 1 s)
 * @param max {@code dlm.lease.max} (default 1 day)
 */
record LeaseRule(double factor, Duration min, Duration max) {

    /** Key of the lease factor (E1). */
    static final String FACTOR = "dlm.lease.factor";
    /** Key of the shortest lease {@code lock} grants (E1). */
    static final String MIN = "dlm.lease.min";
    /** Key of the longest lease of any kind (V3). */
    static final String MAX = "dlm.lease.max";

    /**
     * Reads and checks the rule as the runtime does (E1a).
     *
     * @param config the deployment's configuration
     * @return the rule
     * @throws IllegalArgumentException naming the key of an invalid value
     */
    static LeaseRule read(DlmConfig config) {
        double factor = config.get(FACTOR).map(LeaseRule::factor).orElse(2.0);
        Duration min = config.duration(MIN).orElse(Duration.ofSeconds(1));
        Duration max = config.duration(MAX).orElse(Duration.ofDays(1));
        if (min.compareTo(max) > 0) {
            throw new IllegalArgumentException(
                    "Invalid value for " + MIN + ": " + min + " is above " + MAX + " (" + max + ")");
        }
        return new LeaseRule(factor, min, max);
    }

    /**
     * The lease of a method whose annotation says {@code lease = -1}: {@code max(factor * wait,
     * min)}, clamped to the maximum (E1, V3). The wait counts in whole milliseconds, as the
     * {@code timeoutMillis} of {@code lock} does.
     *
     * @param wait the method's wait, not negative
     * @return the lease
     */
    Duration forWait(Duration wait) {
        long millis = wait.getSeconds() >= Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : wait.toMillis();
        double nanos = factor * millis * 1_000_000d;
        long maxNanos = Durations.toNanosSaturated(max);
        if (nanos >= maxNanos) {
            return max;
        }
        return Duration.ofNanos(Math.max((long) Math.ceil(nanos), Durations.toNanosSaturated(min)));
    }

    /**
     * An explicit lease, clamped to the maximum (V3).
     *
     * @param lease a positive lease
     * @return the lease the runtime will grant
     */
    Duration clamp(Duration lease) {
        return lease.compareTo(max) > 0 ? max : lease;
    }

    private static double factor(String value) {
        double factor;
        try {
            factor = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + FACTOR + ": expected a decimal number", e);
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + FACTOR + ": must be a finite number above 0");
        }
        return factor;
    }
}
