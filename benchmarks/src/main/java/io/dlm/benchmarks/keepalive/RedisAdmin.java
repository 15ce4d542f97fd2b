package io.dlm.benchmarks.keepalive;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A connection of its own to the Redis under test, apart from the manager's: it stalls the server
 * and reads its command counters.
 *
 * <p>The stall is {@code DEBUG SLEEP}, which freezes the whole server, where the server allows it
 * ({@code enable-debug-command}, off by default since Redis 7 and settable only at start-up);
 * otherwise {@code CLIENT PAUSE <ms> ALL}, which holds every other client's commands unanswered for
 * the time given, as a frozen server would, while the server itself keeps running.
 */
final class RedisAdmin implements EngineStall {

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final boolean debugSleep;
    private @Nullable CompletableFuture<String> sleeping;
    private volatile long endsAt;

    private RedisAdmin(RedisClient client, StatefulRedisConnection<String, String> connection, boolean debugSleep) {
        this.client = client;
        this.connection = connection;
        this.debugSleep = debugSleep;
    }

    /**
     * Connects and finds out whether {@code DEBUG SLEEP} is allowed.
     *
     * @param uri the server
     * @return the open admin connection
     */
    static RedisAdmin connect(String uri) {
        RedisClient client = RedisClient.create(RedisURI.create(uri));
        StatefulRedisConnection<String, String> connection = client.connect();
        boolean debugSleep;
        try {
            debugSleep("0", connection).get(10, TimeUnit.SECONDS);
            debugSleep = true;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof RedisCommandExecutionException)) {
                connection.close();
                client.shutdown();
                throw new IllegalStateException("cannot talk to Redis at " + uri, e.getCause());
            }
            debugSleep = false; // "ERR DEBUG command not allowed"
        } catch (InterruptedException | TimeoutException e) {
            connection.close();
            client.shutdown();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("no answer from Redis at " + uri, e);
        }
        return new RedisAdmin(client, connection, debugSleep);
    }

    private static CompletableFuture<String> debugSleep(String seconds, StatefulRedisConnection<String, String> on) {
        CommandArgs<String, String> args =
                new CommandArgs<>(StringCodec.UTF8).add("SLEEP").add(seconds);
        return on.async()
                .dispatch(CommandType.DEBUG, new StatusOutput<>(StringCodec.UTF8), args)
                .toCompletableFuture();
    }

    @Override
    public long stall(Duration length) {
        long sent = System.nanoTime();
        endsAt = sent + length.toNanos();
        if (debugSleep) {
            // The reply comes only when the sleep ends; the server starts it as soon as it reads it.
            sleeping = debugSleep(String.format(Locale.ROOT, "%.3f", length.toNanos() / 1e9), connection);
            return sent;
        }
        // The reply comes once the pause is in force.
        connection.sync().clientPause(length.toMillis());
        return System.nanoTime();
    }

    @Override
    public void awaitEnd() throws InterruptedException {
        CompletableFuture<String> sleep = sleeping;
        if (sleep != null) {
            try {
                sleep.get(1, TimeUnit.MINUTES);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("DEBUG SLEEP failed", e);
            }
        }
        long left = endsAt - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    @Override
    public String description() {
        return debugSleep
                ? "DEBUG SLEEP (the whole server frozen)"
                : "CLIENT PAUSE ALL (DEBUG is disabled on this server)";
    }

    /**
     * Scripts the server has run so far ({@code EVAL} and {@code EVALSHA} from
     * {@code INFO commandstats}), from every client of the server.
     *
     * @return the count
     */
    long scriptCalls() {
        long calls = 0;
        for (String line : connection.sync().info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                int from = line.indexOf("calls=") + "calls=".length();
                int to = line.indexOf(',', from);
                calls += Long.parseLong(line.substring(from, to < 0 ? line.length() : to));
            }
        }
        return calls;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
}
