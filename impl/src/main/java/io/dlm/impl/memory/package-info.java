/**
 * The embedded {@code memory} backend: one private lock space per manager, living in this JVM.
 *
 * <p>One {@link java.util.concurrent.ConcurrentHashMap} entry per held lock; acquisitions are
 * atomic per key, releases and heartbeats are lock-free compare-and-set steps on the lease's
 * deadline, and a hierarchical timing wheel lets a reaper find expired leases without scanning
 * the held ones (E4).
 */
@NullMarked
package io.dlm.impl.memory;

import org.jspecify.annotations.NullMarked;
