package io.dlm.spi;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Parses duration settings as rule E1a spells them: ISO-8601, or a number with a unit. */
public final class Durations {

    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+)\\s*(ns|us|ms|s|m|h|d)?");

    private Durations() {}

    /**
     * Parses a positive duration (E1a): {@code PT1S}, {@code 500ms}, {@code 1s}, {@code 5m},
     * {@code 1h}, {@code 1d}; a bare number means milliseconds.
     *
     * @param key the setting's key, named in the error
     * @param value the text to parse
     * @return the positive duration
     * @throws IllegalArgumentException naming the key if the value is unparsable, zero or negative
     */
    public static Duration parsePositive(String key, String value) {
        Duration parsed = parse(key, value.trim());
        if (parsed.isZero() || parsed.isNegative()) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + key + ": the duration must be positive");
        }
        return parsed;
    }

    private static Duration parse(String key, String text) {
        if (text.regionMatches(true, 0, "P", 0, 1) || text.regionMatches(true, 0, "-P", 0, 2)) {
            try {
                return Duration.parse(text.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw invalid(key, text, e);
            }
        }
        Matcher matcher = WITH_UNIT.matcher(text.toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw invalid(key, text, null);
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw invalid(key, text, e);
        }
        String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
        try {
            return switch (unit) {
                case "ns" -> Duration.ofNanos(amount);
                case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000L));
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } catch (ArithmeticException e) {
            throw invalid(key, text, e);
        }
    }

    private static IllegalArgumentException invalid(String key, String text, @Nullable Throwable cause) {
        return new IllegalArgumentException(
                "Invalid value '" + text + "' for " + key
                        + ": expected an ISO-8601 duration (PT1S) or a number with a unit (500ms, 1s, 5m, 1h)",
                cause);
    }

    /**
     * Converts to nanoseconds, saturating at {@link Long#MAX_VALUE} instead of overflowing (V3).
     *
     * @param duration a non-negative duration
     * @return its length in nanoseconds, at most {@code Long.MAX_VALUE}
     */
    public static long toNanosSaturated(Duration duration) {
        if (duration.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE;
        }
        return duration.toNanos();
    }

    /**
     * Adds without overflowing (V3).
     *
     * @param a a non-negative number
     * @param b a non-negative number
     * @return {@code a + b}, or {@link Long#MAX_VALUE} when that overflows
     */
    public static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
