/**
 * The CDI part of the TCK (rules D1-D4, S1, S2): Arquillian tests of the {@code @DistributedLock}
 * interceptor and the {@code LockManager} bean, run on whatever backend {@code dlm.backend}
 * selects. A backend runs them by extending {@link io.dlm.tck.cdi.DistributedLockCdiTck}. A remote
 * backend also extends {@link io.dlm.tck.cdi.ScheduledJobCdiTck}: a job scheduled on two CDI SE
 * nodes that share its engine runs once per tick.
 */
@NullMarked
package io.dlm.tck.cdi;

import org.jspecify.annotations.NullMarked;
