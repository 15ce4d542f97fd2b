package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V1 on Redis: ids are escaped into keys so that none can address another resource's lease or
 * counter, break the Cluster hash tag, or act as a pattern.
 */
class RedisKeysTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("keys");

    private static final String PREFIX = KEYS.prefix();

    /** Ids that mean something to Redis or to a careless key scheme. */
    private static final List<String> NASTY = List.of(
            "*",
            "?",
            "[a-z]",
            "{",
            "}",
            "{}",
            "}{",
            "a{b}c",
            "%7B",
            "%",
            "%25",
            " ",
            "a b",
            "\n",
            "\r\nDEL *\r\n",
            "\0",
            ":fence",
            "}:fence",
            ":released",
            "x".repeat(1024),
            "{".repeat(1024),
            "锁🔒");

    @Test
    void escapingIsInjectiveAndKeepsBracesOutOfTheHashTag() {
        RedisKeys keys = new RedisKeys("p:");
        Set<String> seen = new HashSet<>();
        for (String id : NASTY) {
            String[] both = keys.leaseAndFence(id);
            assertThat(both[0]).isEqualTo(keys.lease(id));
            String tag = both[0].substring("p:{".length(), both[0].length() - 1);
            assertThat(tag).as("hash tag of %s", id).doesNotContain("{", "}").isNotEmpty();
            assertThat(seen.add(both[0])).as("lease key of %s is its own", id).isTrue();
            assertThat(seen.add(both[1])).as("counter key of %s is its own", id).isTrue();
            assertThat(SlotHash.getSlot(both[1]))
                    .as("lease and counter of %s share a Cluster slot", id)
                    .isEqualTo(SlotHash.getSlot(both[0]));
        }
        assertThat(keys.lease("a{b}c")).isEqualTo("p:{a%7Bb%7Dc}");
        assertThat(keys.releaseChannel("x")).isEqualTo("p:{x}:released");
    }

    @Test
    void nastyIdsAreOrdinaryLocksAndTouchOnlyTheirOwnKeys() {
        try (TestRedis.Admin admin = TestRedis.admin(TestRedis.uri());
                LockManager manager = TestRedis.open(PREFIX + "nasty:", Map.of("dlm.lease.min", "60s"))) {
            RedisKeys keys = new RedisKeys(PREFIX + "nasty:");
            Set<String> expected = new HashSet<>();
            for (String id : NASTY) {
                assertThat(manager.lock(id, client(id), 0)).as("lock(%s)", id).isTrue();
                expected.addAll(List.of(keys.leaseAndFence(id)));
            }
            // Exactly one lease and one counter per id, nothing else (a pattern or a split key would show).
            assertThat(new HashSet<>(admin.keys(PREFIX + "nasty:"))).isEqualTo(expected);
            String firstHolder = client(NASTY.get(0));
            for (String id : NASTY) {
                LockInfo info = manager.inspect(id).orElseThrow();
                assertThat(info.resourceId()).isEqualTo(id);
                assertThat(info.clientId()).isEqualTo(client(id));
                // Only the holder of "*" releases with its id; "*" is no wildcard for the others.
                assertThat(manager.unlock(id, firstHolder)).isEqualTo(id.equals(NASTY.get(0)));
            }
            List<String> leases = new ArrayList<>();
            for (String key : admin.keys(PREFIX + "nasty:")) {
                if (key.endsWith("}")) {
                    leases.add(key);
                }
            }
            assertThat(leases).hasSize(NASTY.size() - 1);
        }
    }

    /** A client id made of the resource id, within the 1024-char limit. */
    private static String client(String id) {
        String client = "holder-" + id;
        return client.length() <= 1024 ? client : client.substring(0, 1024);
    }

    @Test
    void aClientIdIsStoredVerbatimAndComparedExactly() {
        try (LockManager manager = TestRedis.open(PREFIX, Map.of())) {
            String resource = "verbatim-" + System.nanoTime();
            String client = "c\0\r\n*{}" + "é";
            assertThat(manager.lock(resource, client, 0)).isTrue();
            assertThat(manager.inspect(resource).orElseThrow().clientId()).isEqualTo(client);
            assertThat(manager.unlock(resource, "c")).isFalse();
            assertThat(manager.unlock(resource, "c\0\r\n*{}e\u0301")).isFalse();
            assertThat(manager.heartbeat(resource, client)).isTrue();
            assertThat(manager.unlock(resource, client)).isTrue();
        }
    }
}
