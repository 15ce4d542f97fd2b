package io.dlm.impl;

import io.dlm.spi.Durations;
import io.dlm.spi.LeaseLengths;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's settings, parsed and checked once when a manager opens (E1, E1a, V3, X1).
 *
 * @param leases {@code dlm.lease.factor}, {@code dlm.lease.min} and {@code dlm.lease.max}: how long
 *     leases are (E1, V3)
 * @param operationTimeout {@code dlm.operation.timeout}: the bound of one engine call (X1)
 * @param heartbeatIntervalNanos {@code dlm.heartbeat.interval}: the keep-alive period (K1), or
 *     {@code 0} for a third of each lease
 * @param leaseDrift {@code dlm.lease.drift}: the share of a lease kept as a margin for clock-rate
 *     drift between this host and the engine (K2), from 0 (inclusive) to 0.5 (exclusive)
 * @param heartbeatThreads {@code dlm.heartbeat.threads}: how many blocking renewals may run at
 *     once for a backend that cannot renew asynchronously (K1)
 * @param waitRecheckNanos {@code dlm.wait.recheck}: how often, at the longest, a waiter on a
 *     watching backend looks at the engine again by itself, in case a notification was lost with
 *     its channel (N4)
 */
public record LockSettings(
        LeaseLengths leases,
        Duration operationTimeout,
        long heartbeatIntervalNanos,
        double leaseDrift,
        int heartbeatThreads,
        long waitRecheckNanos) {

    /** Key of the engine operation timeout. */
    public static final String OPERATION_TIMEOUT = "dlm.operation.timeout";
    /** Key of the keep-alive period. */
    public static final String HEARTBEAT_INTERVAL = "dlm.heartbeat.interval";
    /** Key of the clock-drift margin. */
    public static final String LEASE_DRIFT = "dlm.lease.drift";
    /** Key of the size of the blocking renewal pool. */
    public static final String HEARTBEAT_THREADS = "dlm.heartbeat.threads";
    /** Key of the longest sleep of a waiter on a watching backend between two looks at the engine. */
    public static final String WAIT_RECHECK = "dlm.wait.recheck";

    /** Keys of the core and of the CDI layer, which the runtime accepts without a warning. */
    private static final Set<String> KNOWN_KEYS = Set.of(
            LeaseLengths.FACTOR,
            LeaseLengths.MIN,
            LeaseLengths.MAX,
            OPERATION_TIMEOUT,
            HEARTBEAT_INTERVAL,
            LEASE_DRIFT,
            HEARTBEAT_THREADS,
            WAIT_RECHECK,
            "dlm.backend",
            "dlm.interceptor.priority",
            "dlm.client-id",
            "dlm.leadership.names",
            "dlm.leadership.lease");

    /** Sections whose keys belong to the project's own tools: the TCK's timing knobs, the metrics' options. */
    private static final Set<String> TOOL_SECTIONS = Set.of("tck", "metrics");

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
        LeaseLengths leases = LeaseLengths.parse(properties::get);
        String timeout = properties.get(OPERATION_TIMEOUT);
        Duration operationTimeout =
                timeout == null ? Duration.ofSeconds(5) : Durations.parsePositive(OPERATION_TIMEOUT, timeout);
        String interval = properties.get(HEARTBEAT_INTERVAL);
        long intervalNanos = interval == null
                ? 0
                : Durations.toNanosSaturated(Durations.parsePositive(HEARTBEAT_INTERVAL, interval));
        String recheck = properties.get(WAIT_RECHECK);
        // Half a second: with jitter, a waiter whose notification was lost still sees a free lock
        // within a second of its release (N4), at the cost of two looks a second per waiting process.
        long recheckNanos = recheck == null
                ? TimeUnit.MILLISECONDS.toNanos(500)
                : Durations.toNanosSaturated(Durations.parsePositive(WAIT_RECHECK, recheck));
        return new LockSettings(
                leases,
                operationTimeout,
                intervalNanos,
                drift(properties.get(LEASE_DRIFT)),
                threads(properties.get(HEARTBEAT_THREADS)),
                recheckNanos);
    }

    /**
     * How often a kept-alive lease of the given length is renewed (K1): the configured interval,
     * but never more than half the lease, so that a renewal always has time to come back; by
     * default a third of the lease.
     *
     * @param leaseNanos the lease length
     * @return the period in nanoseconds, at least 1
     */
    public long heartbeatNanos(long leaseNanos) {
        long period = heartbeatIntervalNanos == 0 ? leaseNanos / 3 : Math.min(heartbeatIntervalNanos, leaseNanos / 2);
        return Math.max(1, period);
    }

    /**
     * How much of a lease the local deadline keeps back for clock-rate drift (K2).
     *
     * @param leaseNanos the lease length
     * @return the margin in nanoseconds
     */
    public long driftMarginNanos(long leaseNanos) {
        return (long) Math.ceil(leaseNanos * leaseDrift);
    }

    private static double drift(String value) {
        if (value == null) {
            return 0.01;
        }
        String text = value.trim();
        boolean percent = text.endsWith("%");
        double drift;
        try {
            drift = Double.parseDouble(
                    percent ? text.substring(0, text.length() - 1).trim() : text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + LEASE_DRIFT
                            + ": expected a fraction such as 0.01 or a percentage such as 1%",
                    e);
        }
        if (percent) {
            drift /= 100;
        }
        if (!(drift >= 0 && drift < 0.5)) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + LEASE_DRIFT + ": must be at least 0 and below 0.5 (50%)");
        }
        return drift;
    }

    private static int threads(String value) {
        if (value == null) {
            return 32;
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads > 0) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "Invalid value '" + value + "' for " + HEARTBEAT_THREADS + ": expected a whole number above 0");
    }

    /**
     * The lease of {@code lock(r, c, timeoutMillis)}: {@code max(factor * timeout, min)}, clamped
     * to the maximum, saturating on overflow (E1, V3).
     *
     * @param timeoutMillis the lock timeout, not negative
     * @return the lease length in nanoseconds
     */
    public long leaseNanosForTimeout(long timeoutMillis) {
        return leases.forTimeoutMillis(timeoutMillis);
    }

    /**
     * The lease of {@code tryAcquire}: the given length clamped to the maximum (V3).
     *
     * @param leaseTime a positive lease
     * @return the lease length in nanoseconds
     */
    public long clampLease(Duration leaseTime) {
        return leases.clamp(leaseTime);
    }

    /**
     * The longest lease of any kind (V3).
     *
     * @return {@code dlm.lease.max} in nanoseconds
     */
    public long leaseMaxNanos() {
        return leases.maxNanos();
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
