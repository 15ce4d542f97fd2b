package io.dlm.backend.zookeeper;

import io.dlm.LockInfo;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

/**
 * Lists the live locks under one base path (O4): one {@code getChildren} of the base path, whose
 * names are decoded back to resource ids ({@link NodePaths#decode}) and filtered by the prefix as
 * strings, then a {@code getData} of each candidate lock node, sent together in batches so that a
 * long listing costs few round trips.
 *
 * <p>ZooKeeper returns children in no particular order, and the percent-encoding would not keep
 * the order of ids anyway ({@code a.b} is {@code a%2Eb}, which sorts before {@code a-b}, and
 * UTF-8 orders chars outside the BMP differently from UTF-16), so the ids are sorted after decoding, by {@link
 * String#compareTo}, and read in that order until {@code limit} live ones are found: with more than
 * that, the listing returns the first ones by id. Only the children of the base path itself are
 * looked at, never deeper nodes, so another lock space whose base path lies below this one is not
 * listed.
 *
 * <p>A child that is not a lock node is skipped: key nodes and {@code .clock} (their names have a
 * dot, which no encoded id has), names the encoding would not write, persistent nodes (lock nodes
 * are always ephemeral; a base path nested in this one is persistent), and ephemeral nodes with
 * data DLM did not write, with a warning, since one odd node must not hide every other lock from
 * the operator. A lock node deleted between the two steps, or whose lease is over by this
 * process's judgement, is left out. The whole listing, {@code getChildren} and reads, has one
 * deadline of the operation timeout (X1).
 */
final class LockListing {

    private static final System.Logger LOG = System.getLogger(LockListing.class.getName());

    /**
     * Reads sent at once at most: enough to cover the round trip's latency many times over, few
     * enough that their pending replies stay small in memory.
     */
    private static final int MAX_BATCH = 500;

    /** How a read of a lock node is described, as {@code inspect} does (I1). */
    @FunctionalInterface
    interface Description {
        /**
         * Describes the lease a lock node shows.
         *
         * @return the live lease, or {@code null} when it is over
         */
        @Nullable
        LockInfo of(String resourceId, String lock, LockRecord record, Stat stat, long receivedNanos);
    }

    private final CuratorFramework client;
    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final Description description;

    /**
     * @param client the backend's Curator client
     * @param paths the backend's base path
     * @param calls bounds each step by the listing's deadline
     * @param description describes each lock node read
     */
    LockListing(CuratorFramework client, NodePaths paths, ZooKeeperCalls calls, Description description) {
        this.client = client;
        this.paths = paths;
        this.calls = calls;
        this.description = description;
    }

    /**
     * Lists the live locks whose ids start with {@code prefix}.
     *
     * @param prefix compared exactly with each id, possibly empty
     * @param limit how many to return at most, positive
     * @return at most {@code limit} live locks, the first ones by id, sorted by id
     * @throws io.dlm.LockException {@code INTERNAL_ERROR} when ZooKeeper fails or the listing
     *     takes longer than the operation timeout
     */
    List<LockInfo> list(String prefix, int limit) {
        long deadline = calls.deadline();
        String base = paths.basePath();
        ZooKeeperCalls.Reply children = calls.uninterruptibly(
                "list the children of",
                base,
                deadline,
                callback -> client.getChildren().inBackground(callback).forPath(base));
        if (!children.ok()) {
            return List.of(); // no base path: nothing was ever locked in this lock space
        }
        List<String> ids = new ArrayList<>();
        for (String name : children.event().getChildren()) {
            String id = NodePaths.decode(name);
            if (id != null && id.startsWith(prefix)) {
                ids.add(id);
            }
        }
        ids.sort(Comparator.naturalOrder());
        List<LockInfo> found = new ArrayList<>(Math.min(limit, ids.size()));
        // Only as many reads as locks still wanted: most candidates are live, and a short listing
        // of a large lock space then reads little more than it returns.
        for (int next = 0; next < ids.size() && found.size() < limit; ) {
            int batch = Math.min(Math.min(limit - found.size(), MAX_BATCH), ids.size() - next);
            List<String> batchIds = ids.subList(next, next + batch);
            List<String> locks = batchIds.stream().map(paths::lockPath).toList();
            List<ZooKeeperCalls.Reply> reads = calls.allUninterruptibly(
                    "read",
                    locks,
                    deadline,
                    lock -> callback -> client.getData().inBackground(callback).forPath(lock));
            for (int i = 0; i < batch && found.size() < limit; i++) {
                LockInfo lease = live(batchIds.get(i), locks.get(i), reads.get(i));
                if (lease != null) {
                    found.add(lease);
                }
            }
            next += batch;
        }
        return found;
    }

    private @Nullable LockInfo live(String resourceId, String lock, ZooKeeperCalls.Reply read) {
        if (!read.ok()) {
            return null; // released since getChildren saw it
        }
        Stat stat = read.event().getStat();
        if (stat.getEphemeralOwner() == 0) {
            return null; // persistent: not a lock node, e.g. the base path of another lock space
        }
        LockRecord record;
        try {
            record = LockRecord.decode(lock, read.event().getData());
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, "Skipping {0} in the listing: {1}", ZooKeeperCalls.shorten(lock), e.getMessage());
            return null;
        }
        return description.of(resourceId, lock, record, stat, read.receivedNanos());
    }
}
