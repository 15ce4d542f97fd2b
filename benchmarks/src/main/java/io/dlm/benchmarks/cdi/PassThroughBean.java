package io.dlm.benchmarks.cdi;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The same no-op as {@link PlainBean} under {@link PassThroughInterceptor}: the cost of Weld's
 * interception alone, with no lock.
 */
@ApplicationScoped
public class PassThroughBean {

    /** Creates the bean; Weld calls it. */
    public PassThroughBean() {}

    /** Does nothing, through an interceptor that only proceeds. */
    @PassThrough
    public void work() {
        // Intentionally empty: the benchmark measures the interception around it.
    }
}
