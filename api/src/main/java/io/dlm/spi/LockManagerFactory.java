package io.dlm.spi;

import io.dlm.LockAdmin;
import io.dlm.LockManager;
import java.util.Map;

/**
 * The DLM runtime as {@link io.dlm.LockManagers} finds it; {@code dlm-impl} supplies the one
 * implementation. Backend authors implement {@link LockBackendProvider}, not this.
 */
public interface LockManagerFactory {

    /**
     * Opens a lock manager on the backend with the given name.
     *
     * @param backend the provider name
     * @param properties {@code dlm.*} settings (E1a)
     * @return a new, open manager with its own lock space (C1)
     * @throws IllegalArgumentException for an unknown backend or an invalid setting
     */
    LockManager open(String backend, Map<String, String> properties);

    /**
     * Opens a lock manager on a backend that the caller supplies, for example one built around a
     * {@code DataSource} the application already has.
     *
     * @param provider opens the backend with the runtime's context
     * @param properties {@code dlm.*} settings (E1a)
     * @return a new, open manager that owns and closes the backend
     * @throws IllegalArgumentException for an invalid setting
     */
    LockManager open(LockBackendProvider provider, Map<String, String> properties);

    /**
     * Opens an operator's view of the backend with the given name (O4). A runtime that predates
     * {@link LockAdmin} does not offer it.
     *
     * @param backend the provider name
     * @param properties {@code dlm.*} settings (E1a)
     * @return a new, open admin that owns its backend
     * @throws IllegalArgumentException for an unknown backend or an invalid setting
     * @throws UnsupportedOperationException when this runtime has no admin
     */
    default LockAdmin admin(String backend, Map<String, String> properties) {
        throw new UnsupportedOperationException(
                getClass().getName() + " cannot open a LockAdmin; use a dlm-impl of the same version as dlm-api");
    }
}
