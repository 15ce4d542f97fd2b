package io.dlm.backend.etcd;

import static io.dlm.backend.etcd.EtcdCalls.first;
import static io.dlm.backend.etcd.EtcdCalls.firstOf;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.OptionsUtil;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What is asked of the locks from outside any acquisition: {@link #inspect} (I1), and the
 * operator's {@link #list} and {@link #forceRelease} (O4). Each reads a lock as its key and its
 * lease's time to live; only a forced release changes anything.
 */
final class AdminOperations {

    private static final System.Logger LOG = EtcdLockBackend.LOG;

    /** Keys read per page of a listing: a page of the longest keys and values stays near 2 MB. */
    private static final int LIST_PAGE = 256;

    private final EtcdCalls etcd;
    private final LockKeys keys;
    private final NamespaceRegistry registry;

    AdminOperations(EtcdCalls etcd, LockKeys keys, NamespaceRegistry registry) {
        this.etcd = etcd;
        this.keys = keys;
        this.registry = registry;
    }

    /** Describes the live lease on a resource, as {@link io.dlm.spi.LockBackend#inspect} asks. */
    Optional<LockInfo> inspect(String resourceId) {
        OperationBudget budget = etcd.budget();
        KeyValue current = first(budget.await(etcd.kv().get(keys.key(resourceId)), "read '" + resourceId + "'")
                .getKvs());
        if (current == null) {
            return Optional.empty();
        }
        LockKeys.Holder holder = LockKeys.holder(current.getValue());
        LeaseTimeToLiveResponse ttl = budget.await(
                etcd.leases().timeToLive(current.getLease(), LeaseOption.DEFAULT),
                "read the lease of '" + resourceId + "'");
        Duration remaining = remaining(ttl);
        if (remaining == null) {
            return Optional.empty(); // expired between the two reads
        }
        return Optional.of(new LockInfo(resourceId, holder.clientId(), current.getCreateRevision(), remaining));
    }

    /**
     * What a live lease has left, as {@link #inspect}, {@link #list} and {@link #forceRelease}
     * report it (I1).
     *
     * @param ttl etcd's answer about the lease
     * @return the time left, or {@code null} when etcd no longer knows the lease (it expired)
     */
    private static @Nullable Duration remaining(LeaseTimeToLiveResponse ttl) {
        if (ttl.getTTL() < 0) {
            return null;
        }
        // etcd truncates the remaining time to whole seconds; the truth lies within the next second.
        return Duration.ofSeconds(Math.min(ttl.getTTL() + 1, Math.max(ttl.getGrantedTTL(), 1)));
    }

    /**
     * Lists live locks, as {@link io.dlm.spi.EnumeratingLockBackend#list} asks.
     *
     * <p>A range read of the keys from {@code namespace + UTF-8(prefix)} to the end of that byte
     * prefix, in pages, each followed by the time to live of the page's leases, all sent at once.
     * UTF-8 keeps prefixes (an id starts with {@code prefix} exactly when its key starts with the
     * range's bytes), so the prefix is matched exactly and no character is special (V1). etcd
     * returns keys in byte order, so with more than {@code limit} matching locks, the ones listed
     * are those whose ids come first in the byte order of their UTF-8 encoding (code point order);
     * they are then sorted by {@link String#compareTo}, which differs from it only between
     * characters above U+FFFF and those from U+E000 to U+FFFF.
     *
     * <p>Skipped: keys that DLM cannot have written (a rest that is not the UTF-8 of a V1 id, no
     * lease, a value not of {@link LockKeys#value}), with a warning; leases etcd no longer knows
     * (E2), as {@link #inspect} skips them; and the keys of registered namespaces that start with
     * this one, which belong to other lock spaces ({@link NamespaceRegistry#nestedNamespaces}),
     * whose key ranges are stepped over in one read each. The whole listing has one deadline, the
     * operation timeout (X1).
     */
    List<LockInfo> list(String prefix, int limit) {
        OperationBudget budget = etcd.budget();
        String what = "list the locks under '" + prefix + "'";
        CompletableFuture<List<ByteSequence>> nestedReply = registry.nestedNamespaces();
        ByteSequence from = keys.key(prefix);
        // A namespace is non-empty UTF-8, which has no 0xFF byte, so the range has an end.
        ByteSequence end = OptionsUtil.prefixEndOf(from);
        List<ByteSequence> nested = null;
        List<LockInfo> found = new ArrayList<>();
        while (found.size() < limit && compare(from, end) < 0) {
            GetOption page = GetOption.builder()
                    .withRange(end)
                    .withLimit(Math.min(limit - found.size(), LIST_PAGE))
                    .build();
            GetResponse response = budget.await(etcd.kv().get(from, page), what);
            if (nested == null) {
                nested = budget.await(nestedReply, "read the registered namespaces");
            }
            List<KeyValue> candidates = new ArrayList<>();
            ByteSequence next = null;
            for (KeyValue current : response.getKvs()) {
                ByteSequence inner = nestedUnder(current.getKey(), nested);
                if (inner != null) {
                    // Another lock space's keys: go on after all of them.
                    next = OptionsUtil.prefixEndOf(inner);
                    break;
                }
                candidates.add(current);
                next = after(current.getKey());
            }
            found.addAll(describe(budget, candidates, what));
            if (next == null
                    || (!response.isMore()
                            && candidates.size() == response.getKvs().size())) {
                break; // the range is exhausted
            }
            from = next;
        }
        found.sort(Comparator.comparing(LockInfo::resourceId));
        return found;
    }

    /**
     * The live locks among keys of one page: the time to live of every lease is asked at once, and
     * each answer awaited within the listing's budget.
     */
    private List<LockInfo> describe(OperationBudget budget, List<KeyValue> page, String what) {
        List<LockInfo> live = new ArrayList<>(page.size());
        List<KeyValue> locks = new ArrayList<>(page.size());
        List<String> ids = new ArrayList<>(page.size());
        List<LockKeys.Holder> holders = new ArrayList<>(page.size());
        List<CompletableFuture<LeaseTimeToLiveResponse>> ttls = new ArrayList<>(page.size());
        for (KeyValue current : page) {
            String resourceId = keys.lockResourceId(current.getKey());
            LockKeys.Holder holder = resourceId == null || current.getLease() == 0 ? null : holderOrNull(current);
            if (holder == null) {
                // One odd key must not hide every other lock from the operator.
                LOG.log(
                        Level.WARNING,
                        "Skipping the etcd key {0} in a listing: DLM did not write it (no V1 id, no lease or"
                                + " not a DLM value); do not write under a DLM namespace with other tools",
                        current.getKey().toString(StandardCharsets.UTF_8));
                continue;
            }
            locks.add(current);
            ids.add(resourceId);
            holders.add(holder);
            ttls.add(etcd.leases().timeToLive(current.getLease(), LeaseOption.DEFAULT));
        }
        for (int i = 0; i < locks.size(); i++) {
            Duration remaining = remaining(budget.await(ttls.get(i), what));
            if (remaining != null) {
                live.add(new LockInfo(
                        ids.get(i), holders.get(i).clientId(), locks.get(i).getCreateRevision(), remaining));
            }
        }
        return live;
    }

    private static LockKeys.@Nullable Holder holderOrNull(KeyValue current) {
        try {
            return LockKeys.holder(current.getValue());
        } catch (IllegalStateException e) {
            return null;
        }
    }

    /** The key prefix of the nested namespace that {@code key} lies in, if any. */
    private static @Nullable ByteSequence nestedUnder(ByteSequence key, List<ByteSequence> nested) {
        for (ByteSequence inner : nested) {
            // The namespace's own key would be the empty id there, which V1 rules out: it is ours.
            if (key.size() > inner.size() && key.startsWith(inner)) {
                return inner;
            }
        }
        return null;
    }

    /** The smallest key after {@code key}: the next page starts there. */
    private static ByteSequence after(ByteSequence key) {
        byte[] bytes = key.getBytes();
        return ByteSequence.from(Arrays.copyOf(bytes, bytes.length + 1));
    }

    /** Compares keys as etcd orders them: bytes, unsigned. */
    private static int compare(ByteSequence a, ByteSequence b) {
        return Arrays.compareUnsigned(a.getBytes(), b.getBytes());
    }

    /**
     * Breaks a lock, as {@link io.dlm.spi.BreakingLockBackend#forceRelease} asks.
     *
     * <p>Reads the key, then deletes exactly that incarnation, by its create revision, as the
     * holder's own release would (1 RTT, the read of its lease's time to live sent alongside); if
     * the lock changed hands in between, the same transaction returns the new holder, which is
     * broken the same way, within the operation timeout. The key's deletion is what frees the
     * lock: waiters' watches see it (U3, L4), and the next acquisition creates the key at a later
     * revision, a larger token (F1). Then the holder's lease is revoked (1 RTT), so that its next
     * keep-alive is refused and it notices the loss (K3, H2). That is safe because the lease is
     * this lock's alone (see {@link Renewals}): the holder's manager gives a lease back to its
     * pool only after deleting that very key incarnation itself, which can no longer happen. If
     * the revocation is not confirmed, the lock is broken all the same and the holder's next
     * renewal or key check finds its key gone ({@link Renewals#checkKey}); the lease expires by
     * its TTL.
     *
     * <p>A key whose value DLM did not write fails the call, as in {@link #inspect}, before
     * anything is changed.
     */
    Optional<LockInfo> forceRelease(String resourceId) {
        OperationBudget budget = etcd.budget();
        String what = "break the lock on '" + resourceId + "'";
        ByteSequence key = keys.key(resourceId);
        KeyValue current = first(budget.await(etcd.kv().get(key), what).getKvs());
        while (current != null) {
            LockKeys.Holder holder = LockKeys.holder(current.getValue());
            long leaseId = current.getLease();
            CompletableFuture<LeaseTimeToLiveResponse> ttl = etcd.leases().timeToLive(leaseId, LeaseOption.DEFAULT);
            TxnResponse response;
            try {
                response = budget.await(etcd.deleteIfIncarnation(key, current.getCreateRevision()), what);
            } catch (LockException e) {
                // Not retried: the delete may have been applied and only its reply lost, and the
                // lock may belong to a new holder by now, whom a retry would break.
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "forced release of '" + resourceId + "': etcd did not answer the delete, so whether it took"
                                + " effect is unknown; inspect the resource before trying again",
                        e);
            }
            if (response.isSucceeded()) {
                Duration remaining = remainingOfBroken(budget, ttl, holder);
                revokeBroken(budget, leaseId, resourceId);
                return Optional.of(new LockInfo(resourceId, holder.clientId(), current.getCreateRevision(), remaining));
            }
            current = firstOf(response.getGetResponses());
        }
        return Optional.empty();
    }

    /**
     * The time the broken lease had left: as {@link #inspect} reads it, zero if it ran out just as
     * it was broken, or the TTL its key records if etcd did not say in time (an upper bound).
     */
    private static Duration remainingOfBroken(
            OperationBudget budget, CompletableFuture<LeaseTimeToLiveResponse> ttl, LockKeys.Holder holder) {
        try {
            Duration remaining = remaining(budget.await(ttl, "read the broken lease"));
            return remaining == null ? Duration.ZERO : remaining;
        } catch (LockException e) {
            return Duration.ofSeconds(holder.ttlSeconds());
        }
    }

    private void revokeBroken(OperationBudget budget, long leaseId, String resourceId) {
        try {
            budget.await(etcd.leases().revoke(leaseId), "revoke the broken lease of '" + resourceId + "'");
        } catch (LockException e) {
            if (!OperationBudget.isLeaseNotFound(e)) {
                // Once more without waiting; the holder's renewal finds the key gone in any case.
                etcd.revokeQuietly(leaseId);
            }
        }
    }
}
