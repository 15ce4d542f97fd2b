package io.dlm.tck.cdi;

import io.dlm.interceptor.DistributedLock;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.temporal.ChronoUnit;

/** Locks the resource that {@link TckLockedBeans#nested} already holds (D3). */
@ApplicationScoped
public class TckNestedBean {

    /** For CDI's proxies. */
    public TckNestedBean() {}

    /**
     * Would wait ten minutes for itself, were nested calls not detected.
     *
     * @param id the test's resource id
     */
    @DistributedLock(resource = "tck-nested-{id}", timeout = 10, unit = ChronoUnit.MINUTES)
    public void sameResource(String id) {
        throw new AssertionError("a nested call for a held resource must not run");
    }
}
