/**
 * The ZooKeeper backend of DLM (provider name {@code zookeeper}, artifact
 * {@code dlm-backend-zookeeper}): one ephemeral node per held lock, on Apache Curator.
 *
 * <p>Layout under the base path ({@code dlm.zookeeper.base-path}, default {@code /dlm/locks}):
 *
 * <ul>
 *   <li>{@code <id>}: the lock node of resource {@code id} (percent-encoded, {@link
 *       io.dlm.backend.zookeeper.NodePaths}); its data names the holder, the lease length and the
 *       acquisition's nonce ({@link io.dlm.backend.zookeeper.LockRecord}); its {@code czxid} is the
 *       fencing token (F1), and each acquisition or renewal changes its version: all a contender
 *       needs to judge the lease by its own monotonic clock ({@link
 *       io.dlm.backend.zookeeper.Sightings}, E3, N6). Its {@code mtime} is not used.
 *   <li>{@code <id>.<nonce>}: the key node of that one acquisition, created and deleted in the same
 *       transactions as the lock node; the nonce ends with the runtime's attempt id, so that an
 *       acquisition whose outcome is unknown can be undone by it (X5, {@link
 *       io.dlm.backend.zookeeper.Undos}). Every conditional step on a lock the caller already knows
 *       checks its key node first, so a lock node deleted and created again by someone else (whose
 *       data version starts over at 0) can never be renewed or released by mistake.
 *   <li>{@code .clock}: written by earlier versions of this backend to read the ZooKeeper leader's
 *       wall clock; no longer written or read.
 * </ul>
 *
 * <p>Both lock nodes are ephemeral: the locks of a crashed process go with its session.
 */
@NullMarked
package io.dlm.backend.zookeeper;

import org.jspecify.annotations.NullMarked;
