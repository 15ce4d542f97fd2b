package io.dlm.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * An acquisition held, from its grant to its release or loss (O3). It begins on the thread that
 * acquired and is committed by the thread that ends it, so it carries no stack trace.
 */
@Name(LockHeldEvent.NAME)
@Label("Lock Held")
@Category({"DLM", "Locks"})
@Description("A distributed lock held, from its grant to its release or the report of its loss")
@StackTrace(false)
// A recording with the JDK's own settings keeps only waits and holds that cost something.
@Threshold("10 ms")
final class LockHeldEvent extends jdk.jfr.Event {

    static final String NAME = "io.dlm.LockHeld";

    @Label("Resource")
    String resourceId;

    @Label("Client")
    String clientId;

    @Label("Backend")
    String backend;

    @Label("Fencing Token")
    long fencingToken;

    @Label("Ended By")
    @Description("released or lost")
    String endedBy;
}
