/**
 * What applications use of DLM's CDI layer: the {@link io.dlm.interceptor.DistributedLock}
 * interceptor binding (rules D2-D6), {@link io.dlm.interceptor.LockContext} for the fencing token
 * inside a locked method, and the {@link io.dlm.interceptor.LockEvent} types to observe.
 *
 * <p>Add {@code io.dlm:dlm-cdi} at run time: its portable extension registers the interceptor,
 * validates every annotation at deployment and produces the {@code LockManager} bean.
 *
 * <p>{@link io.dlm.interceptor.LeadershipGranted} and {@link io.dlm.interceptor.LeadershipRevoked}
 * tell the application when it leads a name listed in {@code dlm.leadership.names} (S4).
 */
@NullMarked
package io.dlm.interceptor;

import org.jspecify.annotations.NullMarked;
