package io.dlm.cdi;

import io.dlm.tck.cdi.DistributedLockCdiTck;

/** Runs the CDI part of the TCK with Arquillian and embedded Weld on the default memory backend. */
class MemoryCdiTckTest extends DistributedLockCdiTck {}
