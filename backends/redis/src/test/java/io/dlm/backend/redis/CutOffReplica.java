package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.KillArgs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * A primary, one replica whose wall clock is behind the primary's (libfaketime), and a Sentinel
 * that watches them, all private {@code redis-server}s: for failovers that lose writes. The
 * replica authenticates to its primary as a user of its own, so the test can cut replication for
 * good ({@link #cutReplication}) while clients and Sentinel still reach both servers.
 */
final class CutOffReplica implements AutoCloseable {

    private static final String REPLICATION_USER = "replication";
    private static final String REPLICATION_PASSWORD = "f41lover";

    final PrivateRedisServer primary;
    final PrivateRedisServer replica;
    final PrivateRedisServer sentinel;
    final TestRedis.Admin onPrimary;
    final TestRedis.Admin onReplica;

    private CutOffReplica(
            PrivateRedisServer primary,
            PrivateRedisServer replica,
            PrivateRedisServer sentinel,
            TestRedis.Admin onPrimary,
            TestRedis.Admin onReplica) {
        this.primary = primary;
        this.replica = replica;
        this.sentinel = sentinel;
        this.onPrimary = onPrimary;
        this.onReplica = onReplica;
    }

    /**
     * Starts the three servers and waits until the replica has synchronised.
     *
     * @param dir where their files go
     * @param replicaClock the replica's clock offset in libfaketime's syntax, e.g. {@code "-30s"}
     */
    static CutOffReplica start(Path dir, String replicaClock) throws IOException {
        PrivateRedisServer primary = null;
        PrivateRedisServer replica = null;
        PrivateRedisServer sentinel = null;
        TestRedis.Admin onPrimary = null;
        TestRedis.Admin onReplica = null;
        try {
            primary = PrivateRedisServer.start(
                    dir.resolve("primary"),
                    "--user",
                    REPLICATION_USER,
                    "on",
                    ">" + REPLICATION_PASSWORD,
                    "~*",
                    "&*",
                    "+@all",
                    // Send the first full copy at once rather than after the default 5 s.
                    "--repl-diskless-sync-delay",
                    "0");
            replica = PrivateRedisServer.startUnderFaketime(
                    dir.resolve("replica"),
                    replicaClock,
                    "--replicaof",
                    "127.0.0.1",
                    Integer.toString(primary.port()),
                    "--masteruser",
                    REPLICATION_USER,
                    "--masterauth",
                    REPLICATION_PASSWORD);
            onPrimary = TestRedis.admin(primary.uri());
            onReplica = TestRedis.admin(replica.uri());
            TestRedis.Admin replicaView = onReplica;
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> replicaView.sync().info("replication").contains("master_link_status:up"));
            sentinel = PrivateRedisServer.startSentinel(dir.resolve("sentinel"), primary, replica);
            return new CutOffReplica(primary, replica, sentinel, onPrimary, onReplica);
        } catch (RuntimeException | Error | IOException e) {
            closeAll(onReplica, onPrimary, sentinel, replica, primary);
            throw e;
        }
    }

    /** The URI through which the backend finds the current primary. */
    String sentinelUri() {
        return "redis-sentinel://127.0.0.1:" + sentinel.port() + "#mymaster";
    }

    /**
     * A server's wall clock, read by {@code TIME}, in microseconds: what the acquire script seeds
     * tokens from.
     *
     * @param server a connection to the server
     * @return its clock
     */
    static long micros(TestRedis.Admin server) {
        List<String> time = server.sync().time();
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    /**
     * Cuts replication for good: the primary disables the replica's user and drops its link, so
     * the replica's reconnection attempts are refused. Returns once the replica sees its link down.
     */
    void cutReplication() {
        onPrimary.sync().aclSetuser(REPLICATION_USER, AclSetuserArgs.Builder.off());
        onPrimary.sync().clientKill(KillArgs.Builder.user(REPLICATION_USER));
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> onReplica.sync().info("replication").contains("master_link_status:down"));
    }

    /**
     * Promotes the replica through Sentinel ({@code SENTINEL FAILOVER}) and returns once Sentinel
     * names it as the primary and has demoted the old primary, whose clients Sentinel then closes.
     */
    void failover() {
        SentinelFailover.promote(sentinel, primary, replica);
        assertThat(onReplica.sync().info("replication")).contains("role:master");
    }

    @Override
    public void close() {
        closeAll(onReplica, onPrimary, sentinel, replica, primary);
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception e) {
                    // Test clean-up: the next resource must still be closed.
                }
            }
        }
    }
}
