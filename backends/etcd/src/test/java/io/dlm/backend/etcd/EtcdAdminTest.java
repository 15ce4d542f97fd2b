package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.LockAdminTck;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's tier of the TCK (O4) on etcd: listing a namespace's live locks with range reads,
 * and breaking a lock by deleting its key incarnation and revoking its lease. Then what only etcd
 * has to get right: keys of a nested namespace and keys DLM did not write are not listed, a forced
 * release revokes the broken lease and no other, and a holder whose key is gone while its lease
 * lives (a revocation that never arrived, a key deleted by hand) still notices the loss at its
 * next renewal (K3).
 */
class EtcdAdminTest extends LockAdminTck {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration LONG = Duration.ofSeconds(30);

    @Override
    protected String backend() {
        return "etcd";
    }

    /**
     * A namespace of its own per call, side by side with the others: nested namespaces would be
     * refused at the first acquisition ({@link NamespaceRegistry}), so the tier's second lock space
     * must not nest with the first.
     */
    @Override
    protected Map<String, String> newLockSpace() {
        return ETCD.settings(freshNamespace());
    }

    /** etcd counts lease TTLs in whole seconds (E1). */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }

    /**
     * A namespace that starts with another one belongs to another lock space: its keys, which lie
     * among the outer namespace's keys, are not listed there, and the listing goes on after them.
     * Such a pair can exist when the outer namespace was registered, then its registration deleted
     * (as the docs say to do for a retired namespace), or by managers from before the check.
     */
    @Test
    void theKeysOfANestedNamespaceAreNotListed() throws Exception {
        String outer = freshNamespace();
        String inner = outer + "b/";
        try (Client raw = raw();
                LockManager outerSide = ETCD.open(outer);
                LockAdmin outerAdmin = admin(outer)) {
            // Ids around the inner namespace's keys in byte order ("b." < "b/x" < "b0"), and one that
            // is the inner namespace's name without its last byte.
            for (String id : List.of("a", "b", "b.", "b0", "c/1")) {
                outerSide.tryAcquire(id, "outer-client", Duration.ZERO, LONG).orElseThrow();
            }
            raw.getKVClient()
                    .delete(ByteSequence.from(NamespaceRegistry.PREFIX + outer, StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS);
            try (LockManager innerSide = ETCD.open(inner);
                    LockAdmin innerAdmin = admin(inner)) {
                for (String id : List.of("x", "y", "z")) {
                    innerSide
                            .tryAcquire(id, "inner-client", Duration.ZERO, LONG)
                            .orElseThrow();
                }

                assertThat(ids(outerAdmin.list("", 100))).containsExactly("a", "b", "b.", "b0", "c/1");
                assertThat(ids(outerAdmin.list("b", 100))).containsExactly("b", "b.", "b0");
                assertThat(ids(outerAdmin.list("b/", 100))).isEmpty();
                // The nested keys lie between "b." and "b0": they take no place in a page's limit.
                assertThat(ids(outerAdmin.list("b", 3))).containsExactly("b", "b.", "b0");
                assertThat(ids(outerAdmin.list("b.", 2))).containsExactly("b.");
                assertThat(ids(innerAdmin.list("", 100))).containsExactly("x", "y", "z");
            }
        }
    }

    /**
     * Keys under the namespace that DLM cannot have written are skipped, with a warning, and do
     * not use up the limit: a key without a lease, one whose value is not a holder's, and one whose
     * bytes are not the UTF-8 of any id.
     */
    @Test
    void keysThatAreNoLocksAreSkipped() throws Exception {
        String namespace = freshNamespace();
        try (Client raw = raw();
                LockManager manager = ETCD.open(namespace);
                LockAdmin admin = admin(namespace)) {
            manager.tryAcquire("real", "c", Duration.ZERO, LONG).orElseThrow();
            long lease =
                    raw.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
            put(raw, key(namespace, "a-plain"), "not a lock", 0);
            put(raw, key(namespace, "b-leased"), "no holder here", lease);
            put(raw, key(namespace, "c-empty-client"), "1:", lease);
            byte[] prefix = namespace.getBytes(StandardCharsets.UTF_8);
            byte[] notUtf8 = Arrays.copyOf(prefix, prefix.length + 2);
            notUtf8[prefix.length] = (byte) 0xc3; // a lead byte followed by another lead byte
            notUtf8[prefix.length + 1] = (byte) 0xc3;
            put(raw, ByteSequence.from(notUtf8), "1:1:c", lease);
            byte[] surrogate = Arrays.copyOf(prefix, prefix.length + 3);
            surrogate[prefix.length] = (byte) 0xed; // U+D800 encoded as if it were a character
            surrogate[prefix.length + 1] = (byte) 0xa0;
            surrogate[prefix.length + 2] = (byte) 0x80;
            put(raw, ByteSequence.from(surrogate), "1:1:c", lease);

            assertThat(ids(admin.list("", 100))).containsExactly("real");
            assertThat(ids(admin.list("", 1))).containsExactly("real");
            assertThat(admin.list("a", 100)).isEmpty();
        }
    }

    /**
     * The broken lock's lease is revoked, so the holder's keep-alive is refused at once; the
     * holder's other locks, each on a lease of its own, are left as they were.
     */
    @Test
    void aForcedReleaseRevokesTheBrokenLeaseAndNoOther() throws Exception {
        String namespace = freshNamespace();
        try (Client raw = raw();
                LockManager holder = ETCD.open(namespace);
                LockAdmin admin = admin(namespace)) {
            Lease broken = holder.tryAcquire("broken", "c", Duration.ZERO, LONG).orElseThrow();
            Lease kept = holder.tryAcquire("kept", "c", Duration.ZERO, LONG).orElseThrow();
            long brokenLease = stored(raw, key(namespace, "broken")).getLease();
            long keptLease = stored(raw, key(namespace, "kept")).getLease();

            LockInfo info = admin.forceRelease("broken").orElseThrow();

            assertThat(info.fencingToken()).isEqualTo(broken.fencingToken());
            assertThat(info.remaining()).isPositive().isLessThanOrEqualTo(LONG);
            assertThat(timeToLive(raw, brokenLease))
                    .as("TTL of the broken lease")
                    .isEqualTo(-1);
            assertThat(timeToLive(raw, keptLease))
                    .as("TTL of another lock's lease")
                    .isPositive();
            assertThat(kept.renew()).isTrue();
            assertThat(admin.inspect("kept").orElseThrow().fencingToken()).isEqualTo(kept.fencingToken());
        }
    }

    /**
     * What a forced release whose revocation never reached etcd leaves behind, or an operator who
     * deleted a key by hand: the lease lives on without its key. The holder's next renewal still
     * reports the lock lost (K3, H2), and its release finds nothing to release (U2).
     */
    @Test
    void aLockWhoseKeyWasDeletedWithoutItsLeaseIsLostByARenewalOrWithinALeaseOfKeepAlive() throws Exception {
        String namespace = freshNamespace();
        try (Client raw = raw();
                LockManager holder = ETCD.open(namespace, "dlm.heartbeat.interval", "200ms")) {
            Lease renewed =
                    holder.tryAcquire("renewed", "c", Duration.ZERO, LONG).orElseThrow();
            // A keep-alive checks the key at most once per lease length: a short lease here.
            Lease keptAlive = holder.tryAcquire("kept-alive", "c", Duration.ZERO, Duration.ofSeconds(3))
                    .orElseThrow()
                    .keepAlive();
            long lease = stored(raw, key(namespace, "renewed")).getLease();
            raw.getKVClient().delete(key(namespace, "renewed")).get(10, TimeUnit.SECONDS);
            raw.getKVClient().delete(key(namespace, "kept-alive")).get(10, TimeUnit.SECONDS);

            assertThat(renewed.renew())
                    .as("renew() with the lease alive and the key gone")
                    .isFalse();
            assertThat(renewed.lost().toCompletableFuture().get(5, TimeUnit.SECONDS))
                    .isNotNull();
            assertThat(keptAlive.lost().toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .as("the kept-alive lease, lost within about a lease")
                    .isNotNull();
            assertThat(renewed.release()).isFalse();
            assertThat(holder.heartbeat("kept-alive", "c")).isFalse();
            // The lease, which carried nothing any more, is revoked by the holder that noticed.
            Awaitility.await("revocation of the keyless lease")
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> timeToLive(raw, lease) == -1);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String freshNamespace() {
        return EtcdExtension.freshNamespace("admin");
    }

    private static LockAdmin admin(String namespace) {
        return LockManagers.admin("etcd", ETCD.settings(namespace));
    }

    private static Client raw() {
        return Client.builder().endpoints(ETCD.endpoints().split(",")).build();
    }

    private static ByteSequence key(String namespace, String id) {
        return ByteSequence.from(namespace + id, StandardCharsets.UTF_8);
    }

    private static void put(Client raw, ByteSequence key, String value, long lease) throws Exception {
        PutOption option = lease == 0
                ? PutOption.DEFAULT
                : PutOption.builder().withLeaseId(lease).build();
        raw.getKVClient()
                .put(key, ByteSequence.from(value, StandardCharsets.UTF_8), option)
                .get(10, TimeUnit.SECONDS);
    }

    private static KeyValue stored(Client raw, ByteSequence key) throws Exception {
        return raw.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().get(0);
    }

    private static long timeToLive(Client raw, long lease) throws Exception {
        return raw.getLeaseClient()
                .timeToLive(lease, LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS)
                .getTTL();
    }

    private static List<String> ids(List<LockInfo> locks) {
        return locks.stream().map(LockInfo::resourceId).toList();
    }
}
