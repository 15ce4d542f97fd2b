package io.dlm.spi;

import java.time.Duration;
import java.util.function.Function;

/**
 * The lease arithmetic of the contract, in one place for the runtime and the CDI layer: how long a
 * lease {@code lock} grants (E1) and the cap on every lease (V3), from the {@code dlm.lease.*}
 * settings (E1a).
 *
 * @param factor {@code dlm.lease.factor}: lease per unit of timeout, above 0 (default 2)
 * @param minNanos {@code dlm.lease.min}: the shortest lease {@code lock} grants (default 1 s)
 * @param maxNanos {@code dlm.lease.max}: the longest lease of any kind (default 1 day)
 */
public record LeaseLengths(double factor, long minNanos, long maxNanos) {

    /** Key of the lease factor. */
    public static final String FACTOR = "dlm.lease.factor";
    /** Key of the shortest lease {@code lock} grants. */
    public static final String MIN = "dlm.lease.min";
    /** Key of the longest lease. */
    public static final String MAX = "dlm.lease.max";

    /**
     * Reads and checks the settings (E1a).
     *
     * @param settings looks a setting up by its full key; {@code null} when absent
     * @return the checked lengths
     * @throws IllegalArgumentException naming the key of an invalid value, or {@code dlm.lease.min}
     *     when it is above {@code dlm.lease.max}
     */
    public static LeaseLengths parse(Function<String, String> settings) {
        double factor = factor(settings.apply(FACTOR));
        long min = nanos(MIN, settings.apply(MIN), Duration.ofSeconds(1));
        long max = nanos(MAX, settings.apply(MAX), Duration.ofDays(1));
        if (min > max) {
            throw new IllegalArgumentException("Invalid value for " + MIN + ": " + Duration.ofNanos(min) + " is above "
                    + MAX + " (" + Duration.ofNanos(max) + ")");
        }
        return new LeaseLengths(factor, min, max);
    }

    /**
     * The lease of {@code lock(r, c, timeoutMillis)}: {@code max(factor * timeout, min)}, clamped
     * to the maximum, saturating on overflow (E1, V3).
     *
     * @param timeoutMillis the lock timeout, not negative
     * @return the lease length in nanoseconds
     */
    public long forTimeoutMillis(long timeoutMillis) {
        double nanos = factor * timeoutMillis * 1_000_000d;
        if (nanos >= maxNanos) {
            return maxNanos;
        }
        return Math.max((long) Math.ceil(nanos), minNanos);
    }

    /**
     * An explicit lease ({@code tryAcquire}'s, an annotation's), clamped to the maximum (V3).
     *
     * @param lease a positive lease
     * @return the lease length in nanoseconds
     */
    public long clamp(Duration lease) {
        return Math.min(Durations.toNanosSaturated(lease), maxNanos);
    }

    private static double factor(String value) {
        if (value == null) {
            return 2.0;
        }
        double factor;
        try {
            factor = Double.parseDouble(value.trim());
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

    private static long nanos(String key, String value, Duration defaultValue) {
        return Durations.toNanosSaturated(value == null ? defaultValue : Durations.parsePositive(key, value));
    }
}
