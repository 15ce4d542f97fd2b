package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.LockManagers;

/** Opens the application's {@link LockManager} from its configuration (D1). */
final class ConfiguredLockManager {

    private ConfiguredLockManager() {}

    /**
     * Opens the backend named by {@code dlm.backend} (default {@code memory}) with every {@code
     * dlm.*} setting; keys containing {@code /} are annotation overrides and stay out (E1a, D6).
     *
     * @param config the deployment's configuration
     * @return the open manager; the container closes it at shutdown
     * @throws IllegalArgumentException for an unknown backend or an invalid setting, naming it
     */
    static LockManager open(DlmConfig config) {
        String backend = config.backend();
        DlmMessages.LOG.log(System.Logger.Level.DEBUG, () -> "DLM1031: opening the '" + backend + "' lock backend");
        return LockManagers.open(backend, config.managerProperties());
    }
}
