package io.dlm.it.server.app;

import io.dlm.interceptor.DistributedLock;
import jakarta.enterprise.context.ApplicationScoped;

/** A bean with two invalid annotations, for the deployment the server must refuse (D5). */
@ApplicationScoped
public class Broken {

    /** For the container's client proxy. */
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
