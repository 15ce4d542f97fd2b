/**
 * The backend provider contract: what an engine must supply so that the DLM runtime
 * ({@code dlm-impl}) can turn it into a {@link io.dlm.LockManager}.
 *
 * <p>A backend does only what needs the engine: atomic acquire, release, renew and inspect of one
 * lease, and (optionally) telling the runtime when a resource may have become free. Argument
 * checks, lease arithmetic, waiting queues, interrupts, error mapping and closing rules live once
 * in the runtime. A backend is registered as a {@link io.dlm.spi.LockBackendProvider} in
 * {@code META-INF/services} and found by {@linkplain io.dlm.spi.LockBackendProvider#name() name}.
 *
 * <p>Capabilities are sub-interfaces, not flags: {@link io.dlm.spi.WatchingLockBackend} for
 * engines that notify releases, {@link io.dlm.spi.InProcessLockBackend} for lock spaces that live
 * in this process only, {@link io.dlm.spi.AsyncLockBackend} and {@link
 * io.dlm.spi.BatchRenewingLockBackend} for engines that renew without a thread per call or many
 * leases per round trip (K1, N7). A backend that does not watch is polled with jittered backoff
 * while a client waits (L4).
 */
@NullMarked
package io.dlm.spi;

import org.jspecify.annotations.NullMarked;
