package io.dlm.tck;

import java.time.Duration;

/**
 * The TCK's clock budget: every wait, lease and tolerance the TCK uses passes through {@link
 * #scaled(Duration)}, so a slow machine or a slow engine passes by raising one system property
 * instead of editing tests.
 *
 * <p>Set {@value #MULTIPLIER_PROPERTY} (a positive decimal, default {@code 1}) on the JVM that runs
 * the tests, e.g. {@code mvn verify -Ddlm.tck.timeoutMultiplier=3}.
 */
public final class TckTimings {

    /** The system property that scales every TCK timing. */
    public static final String MULTIPLIER_PROPERTY = "dlm.tck.timeoutMultiplier";

    private static final double MULTIPLIER = readMultiplier();

    private TckTimings() {}

    /**
     * The factor every TCK timing is multiplied by.
     *
     * @return a positive number, {@code 1} unless {@value #MULTIPLIER_PROPERTY} says otherwise
     */
    public static double multiplier() {
        return MULTIPLIER;
    }

    /**
     * Scales a timing by the multiplier.
     *
     * @param base the timing at multiplier 1
     * @return the timing to use, never shorter than 1 ms
     */
    public static Duration scaled(Duration base) {
        double nanos = base.toNanos() * MULTIPLIER;
        // Saturate: a huge multiplier must not overflow into a negative wait.
        long rounded = nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(nanos);
        return Duration.ofNanos(Math.max(rounded, Duration.ofMillis(1).toNanos()));
    }

    /**
     * Scales a timing given in milliseconds by the multiplier.
     *
     * @param baseMillis the timing at multiplier 1, in milliseconds
     * @return the timing to use
     */
    public static Duration scaledMillis(long baseMillis) {
        return scaled(Duration.ofMillis(baseMillis));
    }

    private static double readMultiplier() {
        String value = System.getProperty(MULTIPLIER_PROPERTY, "1").trim();
        double parsed;
        try {
            parsed = Double.parseDouble(value.isEmpty() ? "1" : value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    MULTIPLIER_PROPERTY + " must be a positive decimal number, not '" + value + "'", e);
        }
        if (!(parsed > 0) || Double.isInfinite(parsed)) {
            throw new IllegalArgumentException(
                    MULTIPLIER_PROPERTY + " must be a positive decimal number, not '" + value + "'");
        }
        return parsed;
    }
}
