package io.dlm.benchmarks.cdi;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The baseline of {@link InterceptorOverheadBenchmark}: the same no-op method and scope as {@link
 * LockedBean} without {@code @DistributedLock}, so a call costs only Weld's client proxy.
 */
@ApplicationScoped
public class PlainBean {

    /** Creates the bean; Weld calls it. */
    public PlainBean() {}

    /** Does nothing. */
    public void work() {
        // Intentionally empty: the benchmark measures the call itself.
    }
}
