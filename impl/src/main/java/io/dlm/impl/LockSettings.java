package io.dlm.impl;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * The runtime's settings, parsed and checked once when a manager opens (E1, E1a, V3, X1).
 *
 * @param leaseFactor {@code dlm.lease.factor}: lease length per unit of timeout (E1), above 0
 * @param leaseMinNanos {@code dlm.lease.min}: the shortest lease {@code lock} grants (E1)
 * @param leaseMaxNanos {@code dlm.lease.max}: the longest lease of any kind (V3)
 * @param operationTimeout {@code dlm.operation.timeout}: the bound of one engine call (X1)
 */
public record LockSettings(double leaseFactor, long leaseMinNanos, long leaseMaxNanos, Duration operationTimeout) {

    /** Key of the lease factor. */
    public static final String LEASE_FACTOR = "dlm.lease.factor";
    /** Key of the minimum lease. */
    public static final String LEASE_MIN = "dlm.lease.min";
    /** Key of the maximum lease. */
    public static final String LEASE_MAX = "dlm.lease.max";
    /** Key of the engine operation timeout. */
    public static final String OPERATION_TIMEOUT = "dlm.operation.timeout";

    /** Keys of the core and of the CDI layer, which the runtime accepts without a warning. */
    private static final Set<String> KNOWN_KEYS = Set.of(
            LEASE_FACTOR,
            LEASE_MIN,
            LEASE_MAX,
            OPERATION_TIMEOUT,
            "dlm.backend",
            "dlm.heartbeat.interval",
            "dlm.interceptor.priority");

    /** Sections whose keys belong to the project's own tools: the TCK's timing knobs. */
    private static final Set<String> TOOL_SECTIONS = Set.of("tck");

    /** Backends of the project; their keys are never warned about, even when not on the class path. */
    private static final Set<String> PROJECT_BACKENDS = Set.of("memory", "etcd", "jdbc", "redis", "zookeeper");

    private static final System.Logger LOG = System.getLogger(LockSettings.class.getName());

    /**
     * Parses and checks the runtime's settings (E1a); other keys are left alone.
     *
     * @param properties {@code dlm.*} settings; keys containing {@code /} are annotation overrides
     *     and ignored here
     * @return the checked settings
     * @throws IllegalArgumentException naming the key of an invalid value
     */
    public static LockSettings parse(Map<String, String> properties) {
        double factor = factor(properties.get(LEASE_FACTOR));
        long min = duration(properties, LEASE_MIN, Duration.ofSeconds(1));
        long max = duration(properties, LEASE_MAX, Duration.ofDays(1));
        if (min > max) {
            throw new IllegalArgumentException("Invalid value for " + LEASE_MIN + ": " + Duration.ofNanos(min)
                    + " is above " + LEASE_MAX + " (" + Duration.ofNanos(max) + ")");
        }
        Duration operationTimeout = Duration.ofNanos(duration(properties, OPERATION_TIMEOUT, Duration.ofSeconds(5)));
        return new LockSettings(factor, min, max, operationTimeout);
    }

    /**
     * The lease of {@code lock(r, c, timeoutMillis)}: {@code max(factor * timeout, min)}, clamped
     * to the maximum, saturating on overflow (E1, V3).
     *
     * @param timeoutMillis the lock timeout, not negative
     * @return the lease length in nanoseconds
     */
    public long leaseNanosForTimeout(long timeoutMillis) {
        double nanos = leaseFactor * timeoutMillis * 1_000_000d;
        if (nanos >= leaseMaxNanos) {
            return leaseMaxNanos;
        }
        return Math.max((long) Math.ceil(nanos), leaseMinNanos);
    }

    /**
     * The lease of {@code tryAcquire}: the given length clamped to the maximum (V3).
     *
     * @param leaseTime a positive lease
     * @return the lease length in nanoseconds
     */
    public long clampLease(Duration leaseTime) {
        return Math.min(Durations.toNanosSaturated(leaseTime), leaseMaxNanos);
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
                    "Invalid value '" + value + "' for " + LEASE_FACTOR + ": expected a decimal number", e);
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + LEASE_FACTOR + ": must be a finite number above 0");
        }
        return factor;
    }

    private static long duration(Map<String, String> properties, String key, Duration defaultValue) {
        String value = properties.get(key);
        Duration duration = value == null ? defaultValue : Durations.parsePositive(key, value);
        return Durations.toNanosSaturated(duration);
    }

    /**
     * Logs a warning for each {@code dlm.*} key that neither the runtime, the CDI layer nor any
     * backend reads (E1a); keys of backends that are not on the class path are not warned about.
     *
     * @param properties the settings given to a manager
     * @param backendNames names of the backends on the class path
     */
    static void warnAboutUnknownKeys(Map<String, String> properties, Collection<String> backendNames) {
        for (String key : properties.keySet()) {
            if (!key.startsWith("dlm.") || key.indexOf('/') >= 0 || KNOWN_KEYS.contains(key)) {
                continue;
            }
            String section = key.substring(4, Math.max(4, key.indexOf('.', 4)));
            if (PROJECT_BACKENDS.contains(section)
                    || backendNames.contains(section)
                    || TOOL_SECTIONS.contains(section)) {
                continue;
            }
            LOG.log(Level.WARNING, "Unknown DLM setting {0}: no backend or feature uses it", key);
        }
    }
}
