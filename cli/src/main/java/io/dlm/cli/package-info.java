/**
 * The {@code dlm} admin command (O4): inspect, list, watch and force-release the locks of a
 * backend, configured by the same {@code dlm.*} keys as every other way of opening DLM. It reaches
 * the runtime through {@link io.dlm.LockManagers#admin} only.
 */
@NullMarked
package io.dlm.cli;

import org.jspecify.annotations.NullMarked;
