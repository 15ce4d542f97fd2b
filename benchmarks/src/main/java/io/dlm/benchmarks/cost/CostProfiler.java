package io.dlm.benchmarks.cost;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Hands the figures in {@link CostReadings} to JMH after every iteration, as secondary results
 * averaged over the iterations, so that they appear in the console table and in the JSON that
 * {@code -rf json} writes (under {@code secondaryMetrics}). Enable it with
 * {@code -prof io.dlm.benchmarks.cost.CostProfiler}.
 */
public final class CostProfiler implements InternalProfiler {

    /** The profiler JMH makes from {@code -prof}. */
    public CostProfiler() {}

    @Override
    public String getDescription() {
        return "DLM cost figures measured by the benchmark itself (bytes per lock, renewals per second, ...)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        // The benchmark measures; nothing to start.
    }

    @Override
    @SuppressWarnings("rawtypes") // JMH's own signature names the raw Result
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        List<ScalarResult> results = new ArrayList<>();
        CostReadings.all()
                .forEach((name, reading) ->
                        results.add(new ScalarResult(name, reading.value(), reading.unit(), AggregationPolicy.AVG)));
        return results;
    }
}
