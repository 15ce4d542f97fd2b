package io.dlm.health;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** An application's own second manager, in memory, produced beside DLM's default one. */
@Dependent
class AuditLocks {

    @Produces
    @ApplicationScoped
    @Audit
    LockManager audit() {
        return LockManagers.inMemory();
    }

    void close(@Disposes @Audit LockManager manager) {
        manager.close();
    }
}
