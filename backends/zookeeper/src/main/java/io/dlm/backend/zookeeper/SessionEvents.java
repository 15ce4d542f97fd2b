package io.dlm.backend.zookeeper;

import io.dlm.spi.LeaseLossListener;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;

/**
 * What a change of this backend's session does to its leases and undos: when the session is lost,
 * or given up by the {@link SessionGuard} (which decides when), every lease is reported lost (K3)
 * and the kept undos dropped; when the connection comes back to the same session, the undos that
 * could not be confirmed are sent again (X5).
 */
final class SessionEvents implements ConnectionStateListener {

    private final HeldLeases held;
    private final Undos undos;
    private final LeaseLossListener leaseLoss;
    private final BooleanSupplier closed;

    /**
     * @param held the leases this backend acquired or renewed
     * @param undos the undos kept for a reconnection
     * @param leaseLoss the runtime's listener (K3)
     * @param closed whether the backend is closed
     */
    SessionEvents(HeldLeases held, Undos undos, LeaseLossListener leaseLoss, BooleanSupplier closed) {
        this.held = held;
        this.undos = undos;
        this.leaseLoss = leaseLoss;
        this.closed = closed;
    }

    /**
     * The session is gone, or given up before the ensemble could end it ({@link SessionGuard}, K3,
     * N1): its lock nodes are gone or soon will be, so every lease is lost now, and the undos kept
     * for it have nothing left to delete.
     */
    void sessionLost() {
        held.clear();
        undos.sessionLost();
        leaseLoss.allLeasesLost();
    }

    /**
     * Back on the same session after a lost connection: undos that could not be confirmed are sent
     * again (X5). Losses are {@link SessionGuard}'s.
     */
    @Override
    public void stateChanged(CuratorFramework curator, ConnectionState state) {
        if (state == ConnectionState.RECONNECTED && !closed.getAsBoolean()) {
            undos.retryPending();
        }
    }
}
