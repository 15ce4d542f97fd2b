package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ClientOptions.DisconnectedBehavior;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.api.async.RedisServerAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.Timer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The Lettuce client of one backend instance: its own event loop threads (named
 * {@code dlm-redis-...}), one command connection that every thread of the manager shares (Lettuce
 * pipelines concurrent commands on it), and on demand one pub/sub connection. With replica
 * acknowledgements ({@code dlm.redis.replica-acks}) acquisitions have a connection of their own.
 *
 * <p>Connections reconnect by themselves, but reject commands while disconnected, and a command
 * that was in flight when the connection broke fails rather than being sent again after the
 * reconnect. So every engine call either completes within the operation timeout or fails, and a
 * call that failed is never executed later behind the caller's back (X1, X4).
 *
 * <p>A connection can also die without a sign; the command connection and the acquisitions' own
 * are each a {@link ReplaceableConnection}, replaced when a command and then a {@code PING} go
 * unanswered (N1).
 */
final class RedisConnections {

    /** Longest pause between reconnect attempts: recovery within about a second of Redis's return. */
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final ReplaceableConnection<? extends RedisScriptingAsyncCommands<String, String>> commandConnection;
    private final @Nullable ReplaceableConnection<RedisAsyncCommands<String, String>> acquisitionConnection;
    private final RedisSettings settings;

    private RedisConnections(
            ClientResources resources,
            AbstractRedisClient client,
            ReplaceableConnection<? extends RedisScriptingAsyncCommands<String, String>> commandConnection,
            @Nullable ReplaceableConnection<RedisAsyncCommands<String, String>> acquisitionConnection,
            RedisSettings settings) {
        this.resources = resources;
        this.client = client;
        this.commandConnection = commandConnection;
        this.acquisitionConnection = acquisitionConnection;
        this.settings = settings;
    }

    /**
     * Creates the client and opens the command connection, within the connect timeout.
     *
     * @param settings the checked settings
     * @return the open connections
     * @throws LockException with {@code INTERNAL_ERROR} when Redis cannot be reached (X1)
     */
    static RedisConnections open(RedisSettings settings) {
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(DefaultClientResources.MIN_IO_THREADS)
                .computationThreadPoolSize(DefaultClientResources.MIN_COMPUTATION_THREADS)
                .threadFactoryProvider(pool -> new DefaultThreadFactory(threadName(pool), true))
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        AbstractRedisClient client = null;
        try {
            List<RedisURI> uris = settings.uris();
            String where = describe(settings);
            if (settings.cluster()) {
                RedisClusterClient cluster = RedisClusterClient.create(resources, uris);
                client = cluster;
                cluster.setOptions(clusterOptions(settings));
                var commands = new ReplaceableConnection<>(
                        () -> {
                            var connection = cluster.connect(StringCodec.UTF8);
                            return new ReplaceableConnection.Opened<>(connection, connection.async());
                        },
                        resources.timer(),
                        settings.operationTimeout(),
                        where);
                return new RedisConnections(resources, cluster, commands, null, settings);
            }
            RedisClient standalone = RedisClient.create(resources, uris.get(0));
            client = standalone;
            standalone.setOptions(clientOptions(settings));
            Supplier<ReplaceableConnection.Opened<RedisAsyncCommands<String, String>>> opener = () -> {
                var connection = standalone.connect(StringCodec.UTF8, uris.get(0));
                return new ReplaceableConnection.Opened<>(connection, connection.async());
            };
            var commands = new ReplaceableConnection<>(opener, resources.timer(), settings.operationTimeout(), where);
            // A failure here shuts the client down below, which closes the first connection too.
            var acquisitions = settings.replicaAcks() > 0
                    ? new ReplaceableConnection<>(opener, resources.timer(), settings.operationTimeout(), where)
                    : null;
            return new RedisConnections(resources, standalone, commands, acquisitions, settings);
        } catch (RuntimeException e) {
            shutdown(client, resources, settings.connectTimeout());
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "Cannot connect to Redis at " + describe(settings) + " within " + settings.connectTimeout() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private static String threadName(String lettucePool) {
        return "dlm-redis-" + (lettucePool.startsWith("lettuce-") ? lettucePool.substring(8) : lettucePool);
    }

    private static ClientOptions clientOptions(RedisSettings settings) {
        return ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(settings.operationTimeout()))
                .socketOptions(socketOptions(settings))
                .build();
    }

    private static ClusterClientOptions clusterOptions(RedisSettings settings) {
        return ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(settings.operationTimeout()))
                .socketOptions(socketOptions(settings))
                // Lettuce 7 refreshes the topology on MOVED/ASK replies and reconnects by default.
                .build();
    }

    private static SocketOptions socketOptions(RedisSettings settings) {
        return SocketOptions.builder()
                .connectTimeout(settings.connectTimeout())
                .keepAlive(true)
                .build();
    }

    /**
     * The scripting commands of the shared command connection as it is now; thread-safe.
     *
     * @return the async commands, routed by key in a Cluster
     */
    RedisScriptingAsyncCommands<String, String> commands() {
        return commandConnection.commands();
    }

    /**
     * Told that a command on the shared connection went unanswered for the whole operation timeout
     * (see {@link ReplaceableConnection#suspectStall()}).
     */
    void suspectStall() {
        commandConnection.suspectStall();
    }

    /**
     * The connection that acquisitions, the {@code WAIT} behind each and their undos go out on when
     * replica acknowledgements are asked for ({@code dlm.redis.replica-acks}). A {@code WAIT} holds
     * up every later command of its connection until the replicas answer, so it must not delay the
     * renewals and releases on the shared one.
     *
     * @return that connection, or {@code null} when acquisitions share the command connection
     */
    @Nullable
    ReplaceableConnection<RedisAsyncCommands<String, String>> acquisitionConnection() {
        return acquisitionConnection;
    }

    /**
     * The servers that hold this lock space's keys: the one server (or the primary that Sentinel
     * named), or every primary of a Cluster, for reading their settings. In a Cluster each
     * primary's connection is opened on demand, as the first command to one of its slots would.
     *
     * @return each primary, named for messages, with the pending connection to it
     */
    List<Primary> primaries() {
        StatefulConnection<String, String> connection = commandConnection.connection();
        if (connection instanceof StatefulRedisConnection<String, String> standalone) {
            return List.of(new Primary(describe(settings), CompletableFuture.completedFuture(standalone.async())));
        }
        StatefulRedisClusterConnection<String, String> cluster =
                (StatefulRedisClusterConnection<String, String>) connection;
        List<Primary> primaries = new ArrayList<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                CompletableFuture<RedisServerAsyncCommands<String, String>> commands;
                try {
                    commands = cluster.getConnectionAsync(node.getNodeId()).thenApply(StatefulRedisConnection::async);
                } catch (RuntimeException e) {
                    commands = CompletableFuture.failedFuture(e);
                }
                primaries.add(new Primary(
                        node.getUri().getHost() + ":" + node.getUri().getPort(), commands));
            }
        }
        return primaries;
    }

    /**
     * One server that holds keys of the lock space.
     *
     * @param address where it is, without credentials, for messages
     * @param commands its server commands, once connected
     */
    record Primary(String address, CompletableFuture<RedisServerAsyncCommands<String, String>> commands) {}

    /**
     * The client's timer (a thread of its own, stopped by {@link #close}), for bounding calls that
     * nobody blocks on.
     *
     * @return the timer
     */
    Timer timer() {
        return resources.timer();
    }

    /**
     * Opens a pub/sub connection (in a Cluster, to one node: a {@code PUBLISH} reaches every
     * node's subscribers). Blocks up to the connect timeout; never call it on a Lettuce thread.
     *
     * @return the new connection
     * @throws LockException with {@code INTERNAL_ERROR} when Redis cannot be reached
     */
    StatefulRedisPubSubConnection<String, String> openPubSub() {
        try {
            if (client instanceof RedisClusterClient cluster) {
                return cluster.connectPubSub(StringCodec.UTF8);
            }
            return ((RedisClient) client)
                    .connectPubSub(StringCodec.UTF8, settings.uris().get(0));
        } catch (RuntimeException e) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "Cannot open a pub/sub connection to Redis at " + describe(settings) + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Closes every connection and stops every thread of this client, waiting up to
     * {@code timeout} (C1).
     *
     * @param timeout how long to wait for the threads to end
     */
    void close(Duration timeout) {
        commandConnection.close();
        if (acquisitionConnection != null) {
            acquisitionConnection.close();
        }
        shutdown(client, resources, timeout);
        commandConnection.awaitReplacer(timeout);
        if (acquisitionConnection != null) {
            acquisitionConnection.awaitReplacer(timeout);
        }
    }

    private static void shutdown(@Nullable AbstractRedisClient client, ClientResources resources, Duration timeout) {
        if (client != null) {
            try {
                client.shutdown(Duration.ZERO, timeout);
            } catch (RuntimeException e) {
                // Shutting down a client that failed half way may throw; the threads go below.
            }
        }
        try {
            resources
                    .shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // The threads are daemons and told to stop; nothing more can be done here.
        }
    }

    /**
     * The settings the client was made from.
     *
     * @return them
     */
    RedisSettings settings() {
        return settings;
    }

    /**
     * Where the settings point, without credentials, for messages.
     *
     * @param settings the settings
     * @return e.g. {@code redis://127.0.0.1:6379}
     */
    static String describe(RedisSettings settings) {
        List<String> parts = new ArrayList<>();
        for (RedisURI uri : settings.uris()) {
            parts.add(RedisSettings.withoutCredentials(uri.toURI().toString()));
        }
        return String.join(",", parts) + (settings.cluster() ? " (cluster)" : "");
    }
}
