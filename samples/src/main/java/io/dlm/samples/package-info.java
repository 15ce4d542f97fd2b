/**
 * A runnable Weld SE application that shows DLM in use: workers competing for jobs under {@code
 * @DistributedLock}, manual locking with a {@code Lease}, and a ledger that rejects stale fencing
 * tokens (M3). Start it with {@link io.dlm.samples.SampleApp#main(String[])}.
 */
@NullMarked
package io.dlm.samples;

import org.jspecify.annotations.NullMarked;
