package io.dlm.tck.selftest;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The reference backend's reading of the E1a settings, and the E1 and V3 lease arithmetic. */
final class Settings {

    private static final Pattern NUMBER_WITH_UNIT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private final double factor;
    private final long minNanos;
    private final long maxNanos;

    Settings(Map<String, String> properties) {
        factor = factor(properties.get("dlm.lease.factor"));
        minNanos = duration(properties, "dlm.lease.min", Duration.ofSeconds(1));
        maxNanos = duration(properties, "dlm.lease.max", Duration.ofDays(1));
        duration(properties, "dlm.operation.timeout", Duration.ofSeconds(5));
        if (minNanos > maxNanos) {
            throw new IllegalArgumentException("dlm.lease.min must not exceed dlm.lease.max");
        }
    }

    /** E1 and V3: {@code max(factor * timeout, min)}, saturated, then clamped to the maximum. */
    long leaseForTimeout(long timeoutMillis) {
        double nanos = factor * timeoutMillis * 1_000_000.0;
        long lease = nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) nanos;
        return Math.min(Math.max(lease, minNanos), maxNanos);
    }

    /** V3: a requested lease, clamped to the maximum. */
    long clamp(Duration leaseTime) {
        return Math.min(saturatedNanos(leaseTime), maxNanos);
    }

    static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException overflow) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static double factor(String text) {
        if (text == null) {
            return 2;
        }
        try {
            double value = Double.parseDouble(text.trim());
            if (value > 0 && !Double.isInfinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below, with the key
        }
        throw new IllegalArgumentException("dlm.lease.factor must be a number above 0, not '" + text + "'");
    }

    private static long duration(Map<String, String> properties, String key, Duration fallback) {
        String text = properties.get(key);
        if (text == null) {
            return fallback.toNanos();
        }
        Duration parsed = parse(key, text.trim());
        if (parsed.isZero() || parsed.isNegative()) {
            throw new IllegalArgumentException(key + " must be positive, not '" + text + "'");
        }
        return saturatedNanos(parsed);
    }

    private static Duration parse(String key, String text) {
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.startsWith("P") || upper.startsWith("-P")) {
            try {
                return Duration.parse(upper);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(key + " is not an ISO-8601 duration: '" + text + "'", e);
            }
        }
        Matcher matcher = NUMBER_WITH_UNIT.matcher(text);
        if (!matcher.matches()) {
            throw new IllegalArgumentException(key + " must be a duration like 500ms, 1s or PT1S, not '" + text + "'");
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is too large: '" + text + "'", e);
        }
        String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(amount);
            case "s":
                return Duration.ofSeconds(amount);
            case "m":
                return Duration.ofMinutes(amount);
            case "h":
                return Duration.ofHours(amount);
            default:
                return Duration.ofDays(amount);
        }
    }
}
