/**
 * JMH benchmarks of DLM's in-memory backend beside the JDK structures a hand-written lock table
 * would use, plus a plain program that measures the heap held per lock; and the two benchmarks
 * that run on every engine, {@link io.dlm.benchmarks.AcquireReleaseBenchmark} and {@link
 * io.dlm.benchmarks.HandoffBenchmark}, with the engine ({@link io.dlm.benchmarks.Engine}) and the
 * implementation ({@code DLM}, {@code PEER}, {@code RAW}) as parameters.
 *
 * <p>Each benchmark class says in its Javadoc what it measures and the command that runs it; the
 * module's {@code README.md} records the machine, the commands and the latest results. The
 * implementation under test is a {@code @Param}, so DLM and its baselines run in one JMH run and
 * their ratios can be read off one table; every implementation sits behind {@link
 * io.dlm.benchmarks.LockTable}.
 */
@NullMarked
package io.dlm.benchmarks;

import org.jspecify.annotations.NullMarked;
