package io.dlm.benchmarks.cost;

import java.util.Map;
import java.util.TreeMap;

/**
 * The figures a cost benchmark measured outside its timed method (bytes per lock, renewals per
 * second, CPU per lease), kept in the benchmark's JVM until {@link CostProfiler} hands them to JMH
 * as secondary results. Each JMH fork runs one trial, so the figures of one trial never mix with
 * another's; a benchmark that measures again replaces its earlier figure.
 */
public final class CostReadings {

    /**
     * One figure.
     *
     * @param value the measured value
     * @param unit its unit, as JMH prints it
     */
    public record Reading(double value, String unit) {}

    private static final Map<String, Reading> READINGS = new TreeMap<>();

    private CostReadings() {}

    /**
     * Records a figure, replacing any earlier one of the same name.
     *
     * @param name the secondary result's name, e.g. {@code engineBytesPerLock}
     * @param value the value; not a number leaves the figure out
     * @param unit its unit
     */
    public static synchronized void put(String name, double value, String unit) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            READINGS.remove(name);
        } else {
            READINGS.put(name, new Reading(value, unit));
        }
    }

    /**
     * The figures recorded so far.
     *
     * @return a copy, by name
     */
    public static synchronized Map<String, Reading> all() {
        return new TreeMap<>(READINGS);
    }
}
