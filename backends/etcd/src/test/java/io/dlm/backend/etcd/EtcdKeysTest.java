package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V1 as stored: awkward ids ({@code /}, {@code \0}, spaces, non-Latin text, 1024 chars) become
 * exactly namespace + UTF-8 keys, each its own lock, and the value names the holder, its TTL and
 * the attempt that acquired it.
 * Read back with a plain jetcd client, as an operator with {@code etcdctl} would see them.
 */
class EtcdKeysTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    @Test
    void idsAreStoredAsNamespacePlusUtf8AndNeverCollide() throws Exception {
        String namespace = EtcdExtension.freshNamespace("keys");
        String longId = "锁".repeat(1023) + "x";
        List<String> ids =
                List.of("a", "a/b", "a/", "/a", "a\0", "a\0b", "a b", " a", "Ωμέγα 🔒", "%2F", "a\\b", longId);
        try (LockManager manager = ETCD.open(namespace);
                Client raw =
                        Client.builder().endpoints(ETCD.endpoints().split(",")).build()) {
            for (String id : ids) {
                assertThat(manager.lock(id, client(id), 0)).as("lock(%s)", id).isTrue();
            }
            List<KeyValue> stored = raw.getKVClient()
                    .get(
                            ByteSequence.from(namespace, StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS)
                    .getKvs();
            Map<String, String> byKey = stored.stream()
                    .collect(Collectors.toMap(
                            kv -> kv.getKey().toString(StandardCharsets.UTF_8),
                            kv -> kv.getValue().toString(StandardCharsets.UTF_8)));
            assertThat(byKey).hasSize(ids.size());
            for (String id : ids) {
                // TTL, the runtime's attempt id in hex (random), then the client id.
                assertThat(byKey.get(namespace + id))
                        .as("value of %s", id)
                        .matches(Pattern.compile("1:[0-9a-f]{1,16}:" + Pattern.quote(client(id)), Pattern.DOTALL));
            }
            assertThat(stored).allSatisfy(kv -> assertThat(kv.getLease()).isNotZero());

            assertThat(manager.unlock("a", client("a"))).isTrue();
            for (String id : ids.subList(1, ids.size())) {
                assertThat(manager.inspect(id))
                        .as("inspect(%s) after unlocking 'a'", id)
                        .hasValueSatisfying(info -> assertThat(info.clientId()).isEqualTo(client(id)));
            }
        }
    }

    /** A client id per resource id, within V1's 1024 chars; colons show the value needs no escaping. */
    private static String client(String id) {
        return "client:" + id.substring(0, Math.min(id.length(), 1000));
    }
}
