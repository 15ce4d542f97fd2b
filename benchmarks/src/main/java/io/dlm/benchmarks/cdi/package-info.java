/**
 * JMH benchmarks of DLM's CDI layer: what {@code @DistributedLock} costs on top of calling the
 * {@link io.dlm.LockManager} directly, in a Weld SE container on the {@code memory} backend.
 *
 * <p>Each benchmark class says in its Javadoc what it measures and the command that runs it; the
 * module's {@code README.md} records the machine, the commands and the latest results.
 */
@NullMarked
package io.dlm.benchmarks.cdi;

import org.jspecify.annotations.NullMarked;
