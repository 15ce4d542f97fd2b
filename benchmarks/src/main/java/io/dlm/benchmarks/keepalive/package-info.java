/**
 * SPEC N7 as a load scenario rather than a timed test: {@link io.dlm.benchmarks.keepalive.KeepAliveLoad}
 * keeps 1,000 one-second leases alive on one manager, first against an engine that answers within
 * 100 ms (none may be lost), then against an engine stalled for 2 s (each must be reported lost at
 * its local deadline, none before). It records the manager's threads and the CPU its renewals cost.
 * The module's {@code README.md} has the command and the latest numbers.
 */
@NullMarked
package io.dlm.benchmarks.keepalive;

import org.jspecify.annotations.NullMarked;
