package io.dlm.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * A call waiting for a lock, from the call to its answer (O3): its duration is the wait, on the
 * thread that waited, with the stack that asked.
 */
@Name(LockWaitEvent.NAME)
@Label("Lock Wait")
@Category({"DLM", "Locks"})
@Description("A call waiting for a distributed lock, from the call to its answer")
// A recording with the JDK's own settings keeps only waits and holds that cost something.
@Threshold("10 ms")
final class LockWaitEvent extends jdk.jfr.Event {

    static final String NAME = "io.dlm.LockWait";

    @Label("Resource")
    String resourceId;

    @Label("Client")
    String clientId;

    @Label("Backend")
    String backend;

    @Label("Outcome")
    @Description("acquired, timed_out or error")
    String outcome;

    @Label("Fencing Token")
    @Description("The token of the acquisition, 0 when none was granted")
    long fencingToken;
}
