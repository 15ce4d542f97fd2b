/**
 * The TCK's fault tier tools (SPEC "Faults", N1-N7): {@link io.dlm.tck.fault.FaultProxy}, a TCP proxy
 * put between a client and its engine that adds latency, drops bytes silently as a partition does,
 * or resets connections, each in one direction or both, so a backend's tests can show what its
 * client does when the network between it and the engine fails.
 */
@NullMarked
package io.dlm.tck.fault;

import org.jspecify.annotations.NullMarked;
