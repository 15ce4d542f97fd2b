package io.dlm.benchmarks.keepalive;

import java.time.Duration;

/** A way to make the engine under a manager stop answering for a while (N7's stalled engine). */
interface EngineStall extends AutoCloseable {

    /**
     * Stops the engine answering for {@code length}, from now.
     *
     * @param length how long the engine stays silent
     * @return the {@link System#nanoTime()} by which the stall had certainly begun
     */
    long stall(Duration length);

    /**
     * Waits until the engine answers again.
     *
     * @throws InterruptedException if interrupted meanwhile
     */
    void awaitEnd() throws InterruptedException;

    /**
     * How the stall is made, for the report.
     *
     * @return a short description
     */
    String description();

    @Override
    void close();
}
