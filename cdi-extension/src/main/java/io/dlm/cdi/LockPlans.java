package io.dlm.cdi;

import io.dlm.interceptor.LockEvent;
import java.lang.reflect.Method;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the interceptor learns from deployment (D2, D4-D6): the plans of each bean's locked methods
 * and which lock events have observers. In CDI Full the portable {@link DlmExtension} is this bean;
 * in CDI Lite (Quarkus) the {@link DlmBuildCompatibleExtension} adds a synthetic one (D7). Part of
 * the extension's wiring, not an API for applications.
 */
public interface LockPlans {

    /**
     * The plans of a bean class, keyed by method (D2, D6).
     *
     * @param beanClass the bean class
     * @return the plans worked out at deployment; empty when the class has none
     */
    Map<Method, LockPlan> plansOf(Class<?> beanClass);

    /**
     * The plan of a call whose bean class the interceptor could not tell, or that deployment did
     * not announce. A plan found at deployment is used as it is; otherwise it is worked out now,
     * and invalid settings fail this call instead of the deployment.
     *
     * @param beanClass the bean class, or {@code null} when unknown
     * @param method the called method
     * @return the plan, or {@code null} when the method is not locked
     * @throws jakarta.enterprise.inject.spi.DefinitionException when its settings are invalid
     */
    @Nullable
    LockPlan latePlan(@Nullable Class<?> beanClass, Method method);

    /**
     * Tells whether any observer receives an event type.
     *
     * @param eventType one of the {@link LockEvent} records
     * @return whether firing it can reach an observer
     */
    boolean isObserved(Class<? extends LockEvent> eventType);
}
