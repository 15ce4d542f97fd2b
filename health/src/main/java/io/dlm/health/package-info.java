/**
 * MicroProfile Health for DLM (O2): {@link io.dlm.health.LockManagerReadiness}, a readiness check
 * that reports every {@link io.dlm.LockManager} bean of the application from what the manager last
 * heard from its engine ({@link io.dlm.LockManager#engineContact()}), never by calling the engine.
 *
 * <p>The check is an ordinary annotated bean in a bean archive ({@code META-INF/beans.xml} with
 * {@code bean-discovery-mode="annotated"}, plus a Jandex index for Quarkus), so CDI Full and CDI
 * Lite containers find it the same way. It lives apart from {@code dlm-cdi} so that an application
 * without MicroProfile Health never sees a bean whose types it cannot load.
 */
@NullMarked
package io.dlm.health;

import org.jspecify.annotations.NullMarked;
