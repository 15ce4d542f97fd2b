package io.dlm.it.server.app;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LockContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Locked methods whose settings the deployment's MicroProfile Config overrides (D6). */
@ApplicationScoped
public class Statements {

    @Inject
    LockContext lock;

    /** For the container's client proxy. */
    public Statements() {}

    /**
     * The lock this call runs under: the deployment's configuration overrides its resource.
     *
     * @param account the account
     * @return the held lock
     */
    @DistributedLock(resource = "from-annotation-{account}")
    public HeldLock configured(String account) {
        return lock.current().orElseThrow();
    }

    /**
     * The lock this call runs under, as the annotation says: nothing overrides it.
     *
     * @param account the account
     * @return the held lock
     */
    @DistributedLock(resource = "statement-{account}")
    public HeldLock annotated(String account) {
        return lock.current().orElseThrow();
    }
}
