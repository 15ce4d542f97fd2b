/**
 * CDI integration of DLM: a portable extension ({@link io.dlm.cdi.DlmExtension}) that runs the
 * {@link io.dlm.interceptor.DistributedLock} interceptor and produces the {@link io.dlm.LockManager}
 * bean (rules D1-D6), and the {@link io.dlm.interceptor.LockContext} bean that tells a locked
 * method its fencing token. The types applications use (the annotation, {@code LockContext}, the
 * events) live in {@code io.dlm.interceptor}; everything here runs them.
 *
 * <p>Portable extensions and interceptors are CDI Full features: this module runs in Weld SE and
 * in Jakarta EE servers, not in CDI Lite-only containers.
 */
@NullMarked
package io.dlm.cdi;

import org.jspecify.annotations.NullMarked;
