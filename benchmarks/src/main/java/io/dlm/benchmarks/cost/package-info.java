/**
 * What DLM costs as the work grows (issue 15, "Cost as the work grows"): held locks per engine from
 * a thousand to a million ({@link io.dlm.benchmarks.cost.HeldLocksBenchmark}), waiters on one
 * resource ({@link io.dlm.benchmarks.cost.WaitersCurveBenchmark}) and kept-alive leases on one
 * manager ({@link io.dlm.benchmarks.cost.KeptAliveLeasesBenchmark}). Each is a JMH benchmark whose
 * size is a {@code @Param}; the memory and rate figures reach JMH's JSON as secondary results
 * through {@link io.dlm.benchmarks.cost.CostProfiler}, and {@link io.dlm.benchmarks.cost.CostPlots}
 * draws the curves from that JSON ({@code benchmarks/plot-cost-curves.sh} does both).
 */
@NullMarked
package io.dlm.benchmarks.cost;

import org.jspecify.annotations.NullMarked;
