package io.dlm.it.quarkus.broken;

import io.dlm.interceptor.DistributedLock;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A bean with two invalid annotations, for the build that must fail. The other tests' application
 * leaves this package out ({@code quarkus.arc.exclude-types}).
 */
@ApplicationScoped
public class Broken {

    /** For ArC's client proxy. */
    public Broken() {}

    /**
     * A placeholder that names no parameter.
     *
     * @param account the account
     */
    @DistributedLock(resource = "broken-{acount}")
    public void misspelt(String account) {}

    /** A negative wait. */
    @DistributedLock(resource = "broken", timeout = -5)
    public void negative() {}
}
