/**
 * The CDI part of the TCK (rules D1-D4, S1, S2, S4): Arquillian tests of the {@code
 * @DistributedLock} interceptor and the {@code LockManager} bean, run on whatever backend {@code
 * dlm.backend} selects. A backend runs them by extending {@link io.dlm.tck.cdi.DistributedLockCdiTck}.
 * A remote backend also extends {@link io.dlm.tck.cdi.ClusteredCdiTck}, whose CDI SE nodes share
 * its engine: a job scheduled on two of them runs once per tick, and a name listed for leadership
 * is led by one at a time and handed over when its leader shuts down.
 */
@NullMarked
package io.dlm.tck.cdi;

import org.jspecify.annotations.NullMarked;
