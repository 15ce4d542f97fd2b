package io.dlm.backend.jdbc;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The locks acquired through one backend instance and not yet released, so that closing it can
 * release them (C1). An acquisition that failed midway counts too: its statement may have
 * committed before the connection broke, and releasing a lock one does not hold is harmless (U2).
 */
final class HeldLocks {

    /** One resource held by one client. */
    record Held(String resourceId, String clientId) {}

    private final Set<Held> held = ConcurrentHashMap.newKeySet();

    void add(String resourceId, String clientId) {
        held.add(new Held(resourceId, clientId));
    }

    void remove(String resourceId, String clientId) {
        held.remove(new Held(resourceId, clientId));
    }

    /**
     * Takes every entry out.
     *
     * @return what was held
     */
    List<Held> drain() {
        List<Held> all = List.copyOf(held);
        held.removeAll(all);
        return all;
    }
}
