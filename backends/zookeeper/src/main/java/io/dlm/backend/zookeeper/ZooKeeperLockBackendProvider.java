package io.dlm.backend.zookeeper;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;

/**
 * Finds the ZooKeeper backend for {@link java.util.ServiceLoader} under the name {@code zookeeper}.
 * Settings are {@code dlm.zookeeper.*} ({@link ZooKeeperSettings}); {@code dlm.zookeeper.connect}
 * is required.
 */
public final class ZooKeeperLockBackendProvider implements LockBackendProvider {

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public ZooKeeperLockBackendProvider() {}

    @Override
    public String name() {
        return "zookeeper";
    }

    /**
     * Opens a backend with its own ZooKeeper session (C1).
     *
     * @param context the settings, and where to report a lost session (K3)
     * @return the backend; connecting goes on in the background
     * @throws IllegalArgumentException naming the key of a missing or invalid setting (E1a)
     */
    @Override
    public LockBackend open(BackendContext context) {
        return ZooKeeperLockBackend.open(
                ZooKeeperSettings.from(context), context.operationTimeout(), context.leaseLoss());
    }
}
