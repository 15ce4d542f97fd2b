package io.dlm.cdi;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;

/**
 * Works out the lock plans as the application starts, in CDI Lite, where the {@link LockPlans}
 * bean is otherwise built on first use: a configuration the application runs with that makes an
 * annotation invalid (D6) then fails the start-up with D5's message, not the first call of some
 * bean. The build compatible extension adds it; in CDI Full the portable extension checks at
 * deployment and needs none.
 */
public class StartupCheck {

    /** Created by the container. */
    public StartupCheck() {}

    void check(@Observes Startup startup, LockPlans plans) {
        // Building the plans is the check: the bean's creator throws on any problem.
        plans.isObserved(io.dlm.interceptor.LeaseLost.class);
    }
}
