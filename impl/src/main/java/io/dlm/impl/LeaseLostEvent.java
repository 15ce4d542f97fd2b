package io.dlm.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A kept-alive lease lost, at the moment its holder is told (K3, O3). */
@Name(LeaseLostEvent.NAME)
@Label("Lease Lost")
@Category({"DLM", "Locks"})
@Description("A kept-alive lease of a distributed lock lost, when its holder is told")
@StackTrace(false)
final class LeaseLostEvent extends jdk.jfr.Event {

    static final String NAME = "io.dlm.LeaseLost";

    @Label("Resource")
    String resourceId;

    @Label("Client")
    String clientId;

    @Label("Backend")
    String backend;

    @Label("Fencing Token")
    long fencingToken;

    @Label("Held For")
    @Timespan(Timespan.NANOSECONDS)
    long heldFor;

    @Label("Reason")
    String reason;
}
