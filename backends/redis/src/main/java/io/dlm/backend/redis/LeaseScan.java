package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisKeyAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Lists the live leases of one key prefix (O4): {@code SCAN} with a {@code MATCH} pattern that
 * only this prefix's lease keys fit ({@link RedisKeys#leasePattern}), never {@code KEYS}, which
 * would block the server for the whole key space. Each page's keys are then read with {@link
 * LockScripts#INSPECT_LISTED}, pipelined: Redis never returns an expired key, so only live leases are
 * listed, and a lease that ended between the scan and the read is left out. In a Cluster,
 * Lettuce's {@code SCAN} visits every primary in turn.
 *
 * <p>{@code SCAN} may return a key more than once (when the key space is rehashed during the
 * scan), so keys are counted and listed once each. A key that fits the pattern but is not a hash
 * (another program's plain key under a shared or empty prefix) is skipped with a warning rather
 * than failing the whole listing ({@link LockScripts#INSPECT_LISTED}).
 *
 * <p>The scan stops once it has found {@code limit} leases, so with more than that the ones
 * listed are those the scan met first, in no order the caller can choose. The whole listing, every
 * page and read included, has one deadline of the operation timeout (X1), as a JDBC listing has:
 * a large key space must not make an operator's command run for minutes.
 */
final class LeaseScan {

    private static final System.Logger LOG = System.getLogger(LeaseScan.class.getName());

    /** The operation, for the error when Redis fails or the deadline passes. */
    private static final String WHAT = "listing of leases";

    /** The {@code COUNT} hint of each {@code SCAN} page: keys Redis looks at per call. */
    private static final int PAGE = 500;

    private final Supplier<RedisScriptingAsyncCommands<String, String>> commands;
    private final ScriptRunner scripts;
    private final RedisKeys keys;
    private final Duration timeout;

    /**
     * Creates the scan of one lock space.
     *
     * @param commands the shared command connection as it is now
     * @param scripts runs the read of each lease
     * @param keys the naming scheme of the backend's prefix
     * @param timeout bounds the whole listing (X1)
     */
    LeaseScan(
            Supplier<RedisScriptingAsyncCommands<String, String>> commands,
            ScriptRunner scripts,
            RedisKeys keys,
            Duration timeout) {
        this.commands = commands;
        this.scripts = scripts;
        this.keys = keys;
        this.timeout = timeout;
    }

    /**
     * Lists live leases whose resource id starts with {@code idPrefix}.
     *
     * @param idPrefix the start of the ids, possibly empty
     * @param limit how many to return at most, positive
     * @return the leases found, sorted by resource id
     * @throws LockException with {@code INTERNAL_ERROR} when Redis fails or is late
     */
    List<LockInfo> list(String idPrefix, int limit) {
        if (!(commands.get() instanceof RedisKeyAsyncCommands<?, ?>)) {
            throw new LockException(LockError.INTERNAL_ERROR, "This Redis connection cannot SCAN");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        ScanArgs args = ScanArgs.Builder.matches(keys.leasePattern(idPrefix)).limit(PAGE);
        Set<String> seen = new HashSet<>();
        List<LockInfo> found = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = await(scan(cursor, args), deadline);
            List<String> fresh = new ArrayList<>(page.getKeys().size());
            for (String key : page.getKeys()) {
                if (seen.add(key)) {
                    fresh.add(key);
                }
            }
            found.addAll(read(fresh, deadline));
            cursor = page;
        } while (!cursor.isFinished() && found.size() < limit);
        found.sort(Comparator.comparing(LockInfo::resourceId));
        return found.size() > limit ? List.copyOf(found.subList(0, limit)) : found;
    }

    /** Waits for one reply of the listing, by the listing's deadline. */
    private <T> T await(CompletableFuture<T> reply, long deadline) {
        Replies.awaitDone(reply, deadline);
        if (!reply.isDone()) {
            reply.cancel(false);
            throw Replies.late(WHAT, timeout);
        }
        Throwable failure = Replies.failureOf(reply);
        if (failure != null) {
            throw Replies.failed(WHAT, failure);
        }
        return reply.join();
    }

    @SuppressWarnings("unchecked") // checked in list(): the shared connection's commands include SCAN
    private CompletableFuture<KeyScanCursor<String>> scan(ScanCursor cursor, ScanArgs args) {
        RedisKeyAsyncCommands<String, String> keyCommands = (RedisKeyAsyncCommands<String, String>) commands.get();
        return keyCommands.scan(cursor, args).toCompletableFuture();
    }

    /** Reads the leases of one page at once; keys that are gone or not DLM's are left out. */
    private List<LockInfo> read(List<String> leaseKeys, long deadline) {
        List<String> ids = new ArrayList<>(leaseKeys.size());
        List<CompletableFuture<List<Object>>> replies = new ArrayList<>(leaseKeys.size());
        for (String key : leaseKeys) {
            String id = keys.resourceIdOf(key);
            if (id == null) {
                continue;
            }
            ids.add(id);
            replies.add(scripts.start(
                    LockScripts.INSPECT_LISTED, ScriptOutputType.MULTI, new String[] {key}, new String[0], true));
        }
        List<LockInfo> leases = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            List<Object> reply = await(replies.get(i), deadline);
            LockInfo lease = lease(ids.get(i), reply);
            if (lease != null) {
                leases.add(lease);
            }
        }
        return leases;
    }

    private static @Nullable LockInfo lease(String resourceId, List<Object> reply) {
        if (reply.isEmpty()) {
            return null; // released or expired since the scan saw it
        }
        if (reply.size() == 3
                && reply.get(0) instanceof String owner
                && reply.get(1) instanceof String token
                && reply.get(2) instanceof Long pttl
                && pttl >= 0) {
            try {
                // PTTL truncates: a lease with 0 ms left is still live for up to a millisecond.
                return new LockInfo(resourceId, owner, Long.parseLong(token), Duration.ofMillis(Math.max(1, pttl)));
            } catch (NumberFormatException e) {
                // Not a lease DLM wrote; reported below.
            }
        }
        // One odd key must not hide every other lock from the operator.
        LOG.log(
                Level.WARNING,
                "Skipping the key of ''{0}'': it does not look like a DLM lease: {1}",
                resourceId,
                reply);
        return null;
    }
}
