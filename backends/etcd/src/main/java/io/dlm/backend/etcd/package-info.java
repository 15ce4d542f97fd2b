/**
 * The {@code etcd} backend: a lock is one etcd key attached to its own etcd lease.
 *
 * <p>Acquiring is one transaction that creates the key only if it is absent; its create revision is
 * the fencing token (F1). Expiry is the lease's, measured by the etcd leader's clock (E2, E3).
 * Waiters watch the key and wake on its deletion, by release or expiry (L4). See {@code
 * docs/backends/etcd.md} for the mapping, the settings and the failure modes.
 */
@NullMarked
package io.dlm.backend.etcd;

import org.jspecify.annotations.NullMarked;
