package io.dlm.benchmarks.cost;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.benchmarks.EngineProcess;
import io.dlm.benchmarks.Memory;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The engines whose cost per held lock {@link HeldLocksBenchmark} measures, each used as the other
 * benchmarks of this module use it, with a namespace, key prefix or table of its own that goes
 * at the end of the trial. Every lock is held with a one-hour lease ({@code dlm.lease.min}), so
 * none ends during a trial.
 *
 * <p>The servers of etcd, Redis and ZooKeeper are started for the trial as processes of their own
 * ({@link EngineProcess}), so that their memory is neither the client's heap nor other users'
 * data: Redis on a free port unless {@code -Ddlm.bench.cost.redis.uri} names one (then only keys
 * under the trial's own prefix are counted and deleted, and {@code used_memory} also moves with
 * the other clients of that server); ZooKeeper as a JVM running {@code ZooKeeperServerMain} from
 * this jar (the other ZooKeeper benchmarks run it in-process, which would put the server's data
 * tree in the client's heap). PostgreSQL is the shared server of {@code -Ddlm.bench.jdbc.url}
 * (default {@code jdbc:postgresql://127.0.0.1:5432/test}, user {@code postgres}).
 */
public enum HeldEngine {

    /** DLM's in-memory backend: the engine is the client's heap. */
    MEMORY {
        @Override
        Opened open() {
            LockManager manager = LockManagers.open("memory", Map.of("dlm.lease.min", LEASE));
            return new Opened(manager, Map::of, () -> {});
        }
    },

    /** DLM's redis backend; engine memory is {@code INFO memory}'s {@code used_memory}. */
    REDIS {
        @Override
        Opened open() {
            String given = System.getProperty("dlm.bench.cost.redis.uri");
            @Nullable EngineProcess server = given != null ? null : EngineProcess.redis();
            String uri = given != null ? given : "redis://127.0.0.1:" + server.port();
            String prefix = "dlm-cost-" + UUID.randomUUID().toString().substring(0, 8) + ":";
            RedisClient client = RedisClient.create(RedisURI.create(uri));
            StatefulRedisConnection<String, String> connection = client.connect();
            RedisCommands<String, String> redis = connection.sync();
            LockManager manager = LockManagers.open(
                    "redis", Map.of("dlm.redis.uri", uri, "dlm.redis.key-prefix", prefix, "dlm.lease.min", LEASE));
            return new Opened(
                    manager,
                    () -> {
                        Map<String, Long> figures = new LinkedHashMap<>();
                        figures.put(ENGINE_BYTES, infoField(redis.info("memory"), "used_memory"));
                        if (server != null) {
                            figures.put(ENGINE_RSS, Memory.residentBytes(server.pid()));
                        }
                        return figures;
                    },
                    () -> {
                        deleteKeys(redis, prefix);
                        connection.close();
                        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
                        if (server != null) {
                            server.close();
                        }
                    });
        }
    },

    /** DLM's jdbc backend; engine memory is {@code pg_total_relation_size} of its table (heap, indexes, TOAST). */
    POSTGRESQL {
        @Override
        Opened open() {
            String url = System.getProperty("dlm.bench.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/test");
            String user = System.getProperty("dlm.bench.jdbc.user", "postgres");
            String password = System.getProperty("dlm.bench.jdbc.password", "");
            String table = "bench_cost_" + UUID.randomUUID().toString().substring(0, 8);
            LockManager manager = LockManagers.open(
                    "jdbc",
                    Map.of(
                            "dlm.jdbc.url", url,
                            "dlm.jdbc.user", user,
                            "dlm.jdbc.password", password,
                            "dlm.jdbc.table", table,
                            "dlm.jdbc.create-table", "true",
                            "dlm.jdbc.pool-size", "10",
                            "dlm.lease.min", LEASE));
            try {
                Connection admin = DriverManager.getConnection(url, user, password);
                return new Opened(manager, () -> Map.of(ENGINE_BYTES, relationSize(admin, table)), () -> {
                    try (admin;
                            Statement drop = admin.createStatement()) {
                        drop.execute("DROP TABLE " + table);
                        drop.execute("DROP SEQUENCE " + table + "_seq");
                    } catch (SQLException e) {
                        throw new IllegalStateException("could not drop " + table, e);
                    }
                });
            } catch (SQLException e) {
                manager.close();
                throw new IllegalStateException("cannot connect to " + url, e);
            }
        }
    },

    /** DLM's etcd backend on etcd 3.4; engine memory is the bbolt database in use, from {@code /metrics}. */
    ETCD {
        @Override
        Opened open() {
            int peerPort;
            try {
                peerPort = EngineProcess.freePort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EngineProcess server = EngineProcess.start("etcd", at -> {
                String client = "http://127.0.0.1:" + at.port();
                String peer = "http://127.0.0.1:" + peerPort;
                return List.of(
                        System.getenv().getOrDefault("DLM_ETCD_BINARY", "etcd"),
                        "--name=cost",
                        "--data-dir=" + at.directory().resolve("data"),
                        "--listen-client-urls=" + client,
                        "--advertise-client-urls=" + client,
                        "--listen-peer-urls=" + peer,
                        "--initial-advertise-peer-urls=" + peer,
                        "--initial-cluster=cost=" + peer,
                        "--logger=zap",
                        "--log-level=warn");
            });
            String endpoint = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            LockManager manager = LockManagers.open(
                    "etcd",
                    Map.of("dlm.etcd.endpoints", endpoint, "dlm.etcd.namespace", "/dlm-cost/", "dlm.lease.min", LEASE));
            return new Opened(
                    manager,
                    () -> {
                        String metrics = get(http, endpoint + "/metrics");
                        Map<String, Long> figures = new LinkedHashMap<>();
                        figures.put(ENGINE_BYTES, metric(metrics, "etcd_mvcc_db_total_size_in_use_in_bytes"));
                        figures.put(ENGINE_FILE, metric(metrics, "etcd_mvcc_db_total_size_in_bytes"));
                        figures.put(ENGINE_RSS, Memory.residentBytes(server.pid()));
                        return figures;
                    },
                    server::close);
        }
    },

    /**
     * DLM's zookeeper backend on a ZooKeeper 3.9 server in a JVM of its own; engine memory is
     * {@code mntr}'s {@code zk_approximate_data_size} (the data tree's paths and data).
     */
    ZOOKEEPER {
        @Override
        Opened open() {
            EngineProcess server = EngineProcess.start(
                    "zookeeper",
                    at -> List.of(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx1g",
                            "-Dzookeeper.4lw.commands.whitelist=mntr",
                            "-Dzookeeper.admin.enableServer=false",
                            "-cp",
                            System.getProperty("java.class.path"),
                            "org.apache.zookeeper.server.ZooKeeperServerMain",
                            Integer.toString(at.port()),
                            at.directory().resolve("data").toString()));
            LockManager manager = LockManagers.open(
                    "zookeeper",
                    Map.of(
                            "dlm.zookeeper.connect",
                            "127.0.0.1:" + server.port(),
                            "dlm.zookeeper.base-path",
                            "/dlm-cost",
                            "dlm.lease.min",
                            LEASE));
            return new Opened(
                    manager,
                    () -> {
                        Map<String, Long> figures = new LinkedHashMap<>();
                        figures.put(ENGINE_BYTES, infoField(mntr(server.port()), "zk_approximate_data_size"));
                        figures.put(ENGINE_RSS, Memory.residentBytes(server.pid()));
                        return figures;
                    },
                    server::close);
        }
    };

    /** The figure that stands for the engine's memory in the plots. */
    static final String ENGINE_BYTES = "engineBytesPerLock";
    /** The engine process's resident memory, where the trial started it. */
    static final String ENGINE_RSS = "engineRssBytesPerLock";
    /** etcd's database file, which grows in steps, beside the part in use. */
    static final String ENGINE_FILE = "engineFileBytesPerLock";

    /** Every lock's lease: longer than any trial. */
    static final String LEASE = "1h";

    /**
     * Opens a manager on the engine, starting the engine's server if the trial owns one.
     *
     * @return the manager, its engine's figures, and how to clean up
     */
    abstract Opened open();

    /** Reads the engine's memory figures now, in bytes, by name; -1 where one cannot be read. */
    interface Figures {
        Map<String, Long> read();
    }

    /** Removes what the trial put into the engine. */
    interface Cleanup {
        void run();
    }

    /**
     * An open engine.
     *
     * @param manager the manager that holds the locks
     * @param figures its engine's memory, read before and after the locks are taken
     * @param cleanup run after the manager is closed
     */
    record Opened(LockManager manager, Figures figures, Cleanup cleanup) {}

    private static long infoField(String info, String field) {
        for (String line : info.split("\r?\n")) {
            String[] parts = line.split("[:\t]", 2);
            if (parts.length == 2 && parts[0].trim().equals(field)) {
                return Long.parseLong(parts[1].trim());
            }
        }
        return -1;
    }

    private static long metric(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long)
                        Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private static String get(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String mntr(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write("mntr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            StringBuilder reply = new StringBuilder();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                reply.append(line).append('\n');
            }
            return reply.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long relationSize(Connection admin, String table) {
        try (Statement statement = admin.createStatement();
                ResultSet size = statement.executeQuery("SELECT pg_total_relation_size('" + table + "')")) {
            size.next();
            return size.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the trial's keys only, in batches, never anything else on the server. */
    private static void deleteKeys(RedisCommands<String, String> redis, String prefix) {
        ScanArgs match = ScanArgs.Builder.matches(prefix + "*").limit(1000);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, match);
            if (!page.getKeys().isEmpty()) {
                redis.unlink(page.getKeys().toArray(String[]::new));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }
}
