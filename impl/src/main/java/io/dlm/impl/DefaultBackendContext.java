package io.dlm.impl;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;

/**
 * The {@link BackendContext} the runtime hands to a backend it opens.
 *
 * @param properties every setting given to the manager
 * @param settings the runtime's parsed settings
 * @param ticker the manager's monotonic clock
 * @param leaseLoss where the backend reports leases its engine ended (K3)
 */
record DefaultBackendContext(
        Map<String, String> properties, LockSettings settings, Ticker ticker, LeaseLossListener leaseLoss)
        implements BackendContext {

    @Override
    public Duration operationTimeout() {
        return settings.operationTimeout();
    }
}
