package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Issue 18 on ZooKeeper: the shortest {@code dlm.operation.timeout} the backend takes, 1 ms, works
 * against a real server (the backend gives Curator no retry policy to fit, and ZooKeeper's
 * request timeout is whole milliseconds), and anything shorter fails {@code open} naming the key
 * and the least value.
 */
class ZooKeeperOperationTimeoutTest {

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperOperationTimeoutTest.class);

    @Test
    void locksWorkWithAOneMillisecondOperationTimeout() {
        String connect = TestZooKeeper.shared().getConnectString();
        try (LockManager manager =
                LockManagers.open("zookeeper", TestBackends.settings(connect, BASE, "dlm.operation.timeout", "1ms"))) {
            // The session is set up after open, and a call on a busy host may take longer than a
            // millisecond and fail (X1): one round that succeeds shows that the client's settings
            // do not stand in the way.
            Awaitility.await("lock, inspect and unlock within 1 ms each")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreException(LockException.class)
                    .until(() -> aRoundWorks(manager));
        }
    }

    @Test
    void aShorterOneFailsOpenNamingTheKeyAndTheLeast() {
        String connect = TestZooKeeper.shared().getConnectString();
        assertThatThrownBy(() -> LockManagers.open(
                        "zookeeper", TestBackends.settings(connect, BASE, "dlm.operation.timeout", "PT0.0005S")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.operation.timeout")
                .hasMessageContaining("1ms");
    }

    /** One lock, inspection and release of a fresh resource; {@code true} when all did as asked. */
    private static boolean aRoundWorks(LockManager manager) {
        String resource = "r-" + UUID.randomUUID();
        return manager.lock(resource, "c", 0)
                && manager.inspect(resource)
                        .filter(info -> info.clientId().equals("c"))
                        .isPresent()
                && manager.unlock(resource, "c")
                && manager.inspect(resource).isEmpty();
    }
}
