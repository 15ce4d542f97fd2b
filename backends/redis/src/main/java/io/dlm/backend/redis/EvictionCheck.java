package io.dlm.backend.redis;

import io.lettuce.core.api.async.RedisServerAsyncCommands;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Looks, when a manager opens, at whether Redis may evict the lock space's keys, and warns if so.
 *
 * <p>Under memory pressure a server whose {@code maxmemory-policy} is not {@code noeviction}
 * deletes keys to make room: the {@code volatile-*} policies delete keys with an expiry, which every
 * live lease has, and the {@code allkeys-*} policies delete any key, fencing counters too. A lease
 * evicted that way is gone while its holder still believes it holds the lock; the next acquisition
 * by anyone succeeds, and the holder learns of the loss only at its next renewal. With
 * {@code noeviction} Redis refuses writes instead, which the backend reports as
 * {@code INTERNAL_ERROR}.
 *
 * <p>The policy is read with {@code CONFIG GET}; where that is refused (managed services rename or
 * forbid {@code CONFIG}, an ACL may deny it) from {@code INFO memory}; where both are refused the
 * warning says that it could not be checked. It is only a warning: a shared server, whose other
 * users need eviction, still works, and the policy can change at any time after this check anyway.
 * Each manager checks once, at open; nothing here ever fails the open.
 */
final class EvictionCheck {

    private static final System.Logger LOG = System.getLogger(EvictionCheck.class.getName());

    private static final String POLICY = "maxmemory-policy";
    private static final String NO_EVICTION = "noeviction";

    private EvictionCheck() {}

    /**
     * Reads the policy of every server that holds the lock space and logs a warning for each one
     * that may evict keys or whose policy could not be read.
     *
     * @param connections the open connections
     * @param timeout how long each read may take
     */
    static void warnIfKeysMayBeEvicted(RedisConnections connections, Duration timeout) {
        List<RedisConnections.Primary> primaries;
        try {
            primaries = connections.primaries();
        } catch (RuntimeException e) {
            couldNotCheck(RedisConnections.describe(connections.settings()), e.getMessage(), null);
            return;
        }
        for (RedisConnections.Primary primary : primaries) {
            check(primary, timeout);
        }
    }

    private static void check(RedisConnections.Primary primary, Duration timeout) {
        RedisServerAsyncCommands<String, String> commands;
        try {
            commands = Replies.await(primary.commands(), timeout, "connection to " + primary.address());
        } catch (RuntimeException e) {
            couldNotCheck(primary.address(), e.getMessage(), null);
            return;
        }
        String configProblem;
        try {
            Map<String, String> config =
                    Replies.await(commands.configGet(POLICY).toCompletableFuture(), timeout, "CONFIG GET " + POLICY);
            String policy = config.get(POLICY);
            if (policy != null) {
                warnIfEvicting(primary.address(), policy);
                return;
            }
            configProblem = "no " + POLICY + " in the reply";
        } catch (RuntimeException e) {
            configProblem = e.getMessage();
        }
        try {
            String info = Replies.await(commands.info("memory").toCompletableFuture(), timeout, "INFO memory");
            String policy = infoField(info, "maxmemory_policy");
            if (policy != null) {
                warnIfEvicting(primary.address(), policy);
                return;
            }
            couldNotCheck(primary.address(), configProblem, "no maxmemory_policy in the reply");
        } catch (RuntimeException e) {
            couldNotCheck(primary.address(), configProblem, e.getMessage());
        }
    }

    private static void warnIfEvicting(String address, String policy) {
        String normalised = policy.strip().toLowerCase(Locale.ROOT);
        if (normalised.equals(NO_EVICTION)) {
            return;
        }
        String risk;
        if (normalised.startsWith("volatile-")) {
            risk = "under memory pressure it deletes keys that have an expiry, and every live lease has one";
        } else if (normalised.startsWith("allkeys-")) {
            risk = "under memory pressure it deletes any key: live leases, and fencing counters too";
        } else {
            risk = "under memory pressure it may delete keys, live leases among them";
        }
        LOG.log(
                Level.WARNING,
                "Redis at {0} may evict lock keys: its maxmemory-policy is {1}, so {2}. A lease evicted that way"
                        + " is gone while its holder still believes it holds the lock: another client can acquire"
                        + " it, and the holder learns of the loss only at its next renewal. Set maxmemory-policy"
                        + " noeviction on the server that holds the locks.",
                address,
                policy,
                risk);
    }

    private static void couldNotCheck(String address, @Nullable String configProblem, @Nullable String infoProblem) {
        LOG.log(
                Level.WARNING,
                "Could not read the maxmemory-policy of Redis at {0} (CONFIG GET: {1}; INFO memory: {2}). Make"
                        + " sure it is noeviction: any other policy lets Redis delete live leases under memory"
                        + " pressure.",
                address,
                configProblem,
                infoProblem == null ? "not tried" : infoProblem);
    }

    /** The value of one {@code name:value} line of an {@code INFO} reply, or null. */
    private static @Nullable String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return null;
    }
}
