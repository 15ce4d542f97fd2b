package io.dlm.benchmarks.cdi;

import io.dlm.interceptor.DistributedLock;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The intercepted side of {@link InterceptorOverheadBenchmark}: a no-op method under a fixed
 * resource with {@code timeout = 0}, so every call tries the lock once and never waits.
 */
@ApplicationScoped
public class LockedBean {

    /** The resource {@link #work()} locks; the direct benchmarks lock the same one. */
    public static final String RESOURCE = "bench";

    /** Creates the bean; Weld calls it. */
    public LockedBean() {}

    /** Does nothing, under the lock on {@value #RESOURCE}. */
    @DistributedLock(resource = RESOURCE, timeout = 0)
    public void work() {
        // Intentionally empty: the benchmark measures the lock around it.
    }
}
