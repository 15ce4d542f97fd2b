/**
 * The CDI part of the TCK (rules D1-D4): Arquillian tests of the {@code @DistributedLock}
 * interceptor and the {@code LockManager} bean, run on whatever backend {@code dlm.backend}
 * selects. A backend runs them by extending {@link io.dlm.tck.cdi.DistributedLockCdiTck}.
 */
@NullMarked
package io.dlm.tck.cdi;

import org.jspecify.annotations.NullMarked;
