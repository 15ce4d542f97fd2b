package io.dlm.backend.zookeeper;

import io.dlm.tck.jvm.CrossProcessTck;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The TCK's cross-process tier on a server of this class's own. ZooKeeper notices a killed holder
 * by itself: its session expires and its lock node goes, long before its ten-minute lease would end.
 */
class ZooKeeperCrossProcessTest extends CrossProcessTck {

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperCrossProcessTest.class);
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);
    private static TestingServer server;

    @BeforeAll
    static void start() {
        server = TestZooKeeper.start(-1);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Override
    protected String backend() {
        return "zookeeper";
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of(
                "dlm.zookeeper.connect", "127.0.0.1:" + server.getPort(),
                "dlm.zookeeper.base-path", BASE,
                "dlm.zookeeper.session-timeout", SESSION_TIMEOUT.toMillis() + "ms");
    }

    @Override
    protected Duration holderLease() {
        return Duration.ofMinutes(10);
    }

    /**
     * Five sessions: a leader paused past its session but not its lease must find its lease invalid
     * on resuming, since the ensemble ended the session and another client leads (K2, S3).
     */
    @Override
    protected Duration leaderLease() {
        return SESSION_TIMEOUT.multipliedBy(5);
    }

    @Override
    protected Optional<Duration> deathNoticedWithin() {
        return Optional.of(SESSION_TIMEOUT);
    }
}
