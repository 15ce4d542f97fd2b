package io.dlm.backend.jdbc;

import io.dlm.spi.LockBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The locks acquired through one backend instance and not yet released, so that closing it can
 * release them (C1). An acquisition that failed midway counts too, until it is undone (X5): its
 * statement may have committed before the connection broke, and releasing a lock one does not hold
 * is harmless (U2).
 *
 * <p>Each entry remembers the attempt and the token of the acquisition it stands for, so that
 * ending an older acquisition of the same client (K4) or undoing another attempt leaves the entry
 * of the current one in place.
 */
final class HeldLocks {

    /**
     * One resource held by one client.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param fencingToken the acquisition's token, or {@link LockBackend#ANY_ACQUISITION} when its
     *     outcome is unknown
     */
    record Held(String resourceId, String clientId, long fencingToken) {}

    private record Key(String resourceId, String clientId) {}

    private record Acquired(long attempt, long fencingToken) {}

    private final ConcurrentHashMap<Key, Acquired> held = new ConcurrentHashMap<>();

    /** An acquisition that succeeded: it replaces whatever the client had of the resource before. */
    void acquired(String resourceId, String clientId, long attempt, long fencingToken) {
        held.put(new Key(resourceId, clientId), new Acquired(attempt, fencingToken));
    }

    /**
     * An acquisition whose outcome is unknown. An entry of an earlier acquisition stays as it is:
     * the engine refuses a client's second acquisition while the first lease lives, and undoing
     * this attempt must not drop the earlier one.
     */
    void uncertain(String resourceId, String clientId, long attempt) {
        held.putIfAbsent(new Key(resourceId, clientId), new Acquired(attempt, LockBackend.ANY_ACQUISITION));
    }

    /**
     * A release or refused renewal: drops the entry if it stands for that token, or whatever it
     * stands for when the token is {@link LockBackend#ANY_ACQUISITION}.
     */
    void ended(String resourceId, String clientId, long fencingToken) {
        Key key = new Key(resourceId, clientId);
        if (fencingToken == LockBackend.ANY_ACQUISITION) {
            held.remove(key);
        } else {
            held.computeIfPresent(key, (k, acquired) -> acquired.fencingToken() == fencingToken ? null : acquired);
        }
    }

    /** An attempt undone (X5): drops the entry if that attempt made it. */
    void undone(String resourceId, String clientId, long attempt) {
        held.computeIfPresent(
                new Key(resourceId, clientId), (k, acquired) -> acquired.attempt() == attempt ? null : acquired);
    }

    /**
     * Takes every entry out.
     *
     * @return what was held
     */
    List<Held> drain() {
        List<Held> all = new ArrayList<>();
        for (Key key : List.copyOf(held.keySet())) {
            Acquired acquired = held.remove(key);
            if (acquired != null) {
                all.add(new Held(key.resourceId(), key.clientId(), acquired.fencingToken()));
            }
        }
        return all;
    }
}
