package io.dlm.backend.redis;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.Prerequisites;
import io.dlm.tck.TckBackends;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The Redis server the tests use: {@code 127.0.0.1:6379} unless the system property
 * {@value #URI_PROPERTY} or the environment variable {@code DLM_REDIS_URI} names another. Outside
 * CI a test class skips when it is down; in CI ({@code CI=true}) it fails.
 */
final class TestRedis {

    static final String URI_PROPERTY = "dlm.redis.test.uri";

    private TestRedis() {}

    /** The URI of the shared test server. */
    static String uri() {
        String configured = System.getProperty(URI_PROPERTY, System.getenv("DLM_REDIS_URI"));
        return configured == null || configured.isBlank() ? "redis://127.0.0.1:6379" : configured;
    }

    /** Skips (outside CI) or fails (in CI) unless the shared server answers PING. */
    static void assumeAvailable() {
        URI uri = URI.create(uri());
        String problem = ping(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
        if (problem == null) {
            return;
        }
        String message = "No Redis at " + uri() + " (" + problem + "); start one with `bash scripts/services.sh redis`"
                + " or point -D" + URI_PROPERTY + " at one";
        throw Prerequisites.missing(message);
    }

    /** Sends an inline PING over a plain socket; returns what went wrong, or null if it answered. */
    static String ping(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 2_000);
            socket.setSoTimeout(2_000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(7);
            String text = new String(reply, StandardCharsets.US_ASCII);
            // A server that wants a password answers -NOAUTH, which still proves it is there.
            return text.startsWith("+PONG") || text.startsWith("-NOAUTH") ? null : "unexpected reply " + text;
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A key prefix no other test class or rerun uses, with no glob or brace characters. */
    static String uniquePrefix(String testClass) {
        return "dlm-test:" + testClass + ":" + UUID.randomUUID().toString().substring(0, 8) + ":";
    }

    /** Opens a manager on the shared server with the given prefix and extra settings. */
    static LockManager open(String prefix, Map<String, String> properties) {
        return LockManagers.open("redis", withServer(prefix, properties));
    }

    /**
     * Opens a manager on the shared server whose real backend is wrapped in {@code decorator}, for
     * injecting a fault at the SPI boundary while Redis does the rest.
     */
    static LockManager open(String prefix, Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated("redis", decorator), withServer(prefix, properties));
    }

    /**
     * Opens a manager on a test's own server (not the shared one) with the given extra settings,
     * for a test that stops, stalls or restarts the server.
     */
    static LockManager open(PrivateRedisServer server, Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put("dlm.redis.uri", server.uri());
        return LockManagers.open("redis", all);
    }

    /** The settings plus the shared server's URI and the prefix, unless they name their own. */
    static Map<String, String> withServer(String prefix, Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.putIfAbsent("dlm.redis.uri", uri());
        all.putIfAbsent("dlm.redis.key-prefix", prefix);
        return all;
    }

    /** A plain Lettuce connection for looking at the server's state; close it after use. */
    static Admin admin(String uri) {
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(Duration.ofSeconds(10));
        RedisClient client = RedisClient.create(redisUri);
        return new Admin(client, client.connect());
    }

    /** A test's own view of the server, beside the backend under test. */
    static final class Admin implements AutoCloseable {
        final RedisClient client;
        final StatefulRedisConnection<String, String> connection;

        Admin(RedisClient client, StatefulRedisConnection<String, String> connection) {
            this.client = client;
            this.connection = connection;
        }

        RedisCommands<String, String> sync() {
            return connection.sync();
        }

        /** Every key that starts with the prefix (which holds no glob characters). */
        List<String> keys(String prefix) {
            List<String> keys = new ArrayList<>();
            ScanIterator.scan(sync(), ScanArgs.Builder.matches(prefix + "*").limit(1000))
                    .forEachRemaining(keys::add);
            return keys;
        }

        /** How many connections subscribe to the channel. */
        long subscribers(String channel) {
            return sync().pubsubNumsub(channel).getOrDefault(channel, 0L);
        }

        /** Deletes every key of the prefix, e.g. the fencing counters a test class left. */
        void deleteAll(String prefix) {
            List<String> keys = keys(prefix);
            for (String key : keys) {
                sync().del(key);
            }
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    /**
     * Deletes a test's keys from the shared server, if it is up.
     *
     * @param prefix the test's key prefix
     */
    static void deleteKeys(String prefix) {
        if (ping("127.0.0.1", 6379) == null) {
            try (Admin admin = admin(uri())) {
                admin.deleteAll(prefix);
            }
        }
    }
}
