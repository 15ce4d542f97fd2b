/**
 * The DLM runtime: turns any {@link io.dlm.spi.LockBackend} into a {@link io.dlm.LockManager}.
 *
 * <p>Everything a backend need not know lives here once: argument checks (V1-V3), lease
 * arithmetic (E1, E1a), the in-process waiting queues (L2-L5), interrupts (X2), error mapping
 * (X1, X4) and the closing rules (C1).
 */
@NullMarked
package io.dlm.impl;

import org.jspecify.annotations.NullMarked;
