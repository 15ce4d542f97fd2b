package io.dlm.spi;

import io.dlm.LockInfo;
import java.util.List;

/**
 * A backend that can enumerate the live locks of its lock space, for operators (O4: {@code dlm
 * list}). Optional: an engine that cannot list its keys cheaply and safely does not implement it,
 * and tools say so rather than guess.
 *
 * <p>Only this backend's lock space is listed (its Redis key prefix, its JDBC table, ...), and
 * only live leases: a lease whose expiry has passed by the engine's clock is free (E2) and never
 * listed, even if the engine has not reclaimed its entry yet (E4).
 */
public interface EnumeratingLockBackend extends LockBackend {

    /**
     * Lists live locks whose resource id starts with {@code prefix}, as {@link #inspect} would
     * describe each one (I1). The runtime has checked the arguments.
     *
     * <p>The result is sorted by resource id ({@link String#compareTo}). When more than {@code
     * limit} locks match, which ones are returned is the backend's choice (it documents it); a
     * caller that wants to know whether there are more asks for one more than it shows. Locks
     * taken or released while the listing runs may or may not appear; each entry was live when
     * the engine read it.
     *
     * @param prefix the start of the resource ids to list, compared exactly (V1); empty for all
     * @param limit how many locks to return at most, positive
     * @return at most {@code limit} live locks, sorted by resource id
     */
    List<LockInfo> list(String prefix, int limit);
}
