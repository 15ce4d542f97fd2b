package io.dlm.benchmarks.keepalive;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stalls a {@link DelayedBackend}: its engine answers no renewal until the stall ends. */
final class LinkStall implements EngineStall {

    private final DelayedBackend backend;
    private volatile long endsAt;

    LinkStall(DelayedBackend backend) {
        this.backend = backend;
    }

    @Override
    public long stall(Duration length) {
        long began = backend.stall(length);
        endsAt = began + length.toNanos();
        return began;
    }

    @Override
    public void awaitEnd() throws InterruptedException {
        long left = endsAt - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    @Override
    public String description() {
        return "renewals held at the SPI boundary until the stall ends";
    }

    @Override
    public void close() {
        // Nothing of its own: the stall ends by itself and the backend closes with the manager.
    }
}
