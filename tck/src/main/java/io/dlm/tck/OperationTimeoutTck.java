package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operation timeout's tier of the TCK (SPEC X1, E1a): the shortest {@code
 * dlm.operation.timeout} a backend accepts works against its real engine, and anything shorter
 * fails {@link LockManagers#open} with an {@link IllegalArgumentException} that names the key and
 * the least value. A backend whose client cannot honour every positive duration (one that counts
 * whole milliseconds, a pool with a least wait of its own) declares its least and documents it; a
 * backend's test extends this class and says how to open the backend:
 *
 * <pre>{@code
 * class RedisOperationTimeoutTest extends OperationTimeoutTck {
 *     protected LockManager openManager(Map<String, String> settings) {
 *         Map<String, String> all = new HashMap<>(settings);
 *         all.put("dlm.redis.uri", URI);
 *         all.put("dlm.redis.key-prefix", PREFIX);
 *         return LockManagers.open("redis", all);
 *     }
 *     protected Duration leastOperationTimeout() { return Duration.ofMillis(1); }
 *     protected Map<String, String> settingsForTheLeastOperationTimeout() {
 *         return Map.of("dlm.redis.connect-timeout", "5s");
 *     }
 * }
 * }</pre>
 *
 * <p>Each test opens its own manager and closes it. The test class sets up and removes the lock
 * space it points the backend at (a key prefix, a table) if it must.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class OperationTimeoutTck {

    /** How long the X1 test retries a round that a busy host made miss the timeout. */
    private static final Duration ROUND_RETRIED_FOR = Duration.ofSeconds(60);

    /**
     * How soon the X1 test tries another round: on a busy host few rounds fit a 1 ms bound, and
     * every try is another chance.
     */
    private static final Duration ROUND_RETRIED_EVERY = Duration.ofMillis(10);

    /** For subclasses: a backend's test class. */
    protected OperationTimeoutTck() {}

    /**
     * Opens a manager on the engine under test with the given settings. Merge your connection and
     * lock-space settings into them; do not drop or rewrite their keys, {@code
     * dlm.operation.timeout} least of all, since one test passes a value that must make {@code open}
     * fail, and let that {@link IllegalArgumentException} through.
     *
     * @param settings {@code dlm.*} settings the test chose
     * @return an open manager, which the test closes
     */
    protected abstract LockManager openManager(Map<String, String> settings);

    /**
     * The shortest {@code dlm.operation.timeout} the backend accepts, as its documentation and its
     * error message state it (the message must write it as {@code <millis>ms}).
     *
     * @return a positive whole number of milliseconds, e.g. {@code 1 ms} for a client that counts
     *     whole milliseconds
     */
    protected abstract Duration leastOperationTimeout();

    /**
     * More settings the backend needs to work with the least operation timeout, e.g. a connect
     * timeout that would otherwise follow the operation timeout, too short for a handshake. Only
     * the X1 test passes them; the E1a test leaves them out.
     *
     * @return {@code dlm.*} settings, none by default
     */
    protected Map<String, String> settingsForTheLeastOperationTimeout() {
        return Map.of();
    }

    /**
     * X1: with the least operation timeout, one round of lock, inspection and release succeeds
     * against the engine: the client's own settings do not stand in the way of the bound the
     * backend accepts.
     */
    @Test
    void X1_locksWorkWithTheLeastOperationTimeout() {
        Duration least = leastOperationTimeout();
        Map<String, String> settings = new HashMap<>(settingsForTheLeastOperationTimeout());
        settings.put("dlm.operation.timeout", written(least));
        try (LockManager manager = openManager(settings)) {
            // A call on a busy host may take longer than the timeout and fail (X1): one round that
            // succeeds shows that the client's settings do not stand in the way.
            Awaitility.await("lock, inspect and unlock within " + written(least) + " each")
                    .atMost(TckTimings.scaled(ROUND_RETRIED_FOR))
                    .pollInterval(ROUND_RETRIED_EVERY)
                    .ignoreException(LockException.class)
                    .until(() -> aRoundWorks(manager));
        }
    }

    /**
     * E1a: half the least operation timeout, and the least less one nanosecond, each make {@code
     * open} fail with an {@link IllegalArgumentException} whose message names {@code
     * dlm.operation.timeout} and the least as {@code <millis>ms}. Both are written in ISO-8601
     * ({@code PT0.0005S}), the only syntax for a duration below a millisecond.
     */
    @Test
    void E1a_aShorterOperationTimeoutFailsOpenNamingTheKeyAndTheLeast() {
        Duration least = leastOperationTimeout();
        for (Duration shorter : new Duration[] {least.dividedBy(2), least.minusNanos(1)}) {
            Map<String, String> settings = new HashMap<>();
            settings.put("dlm.operation.timeout", shorter.toString());
            Throwable thrown = catchThrowable(() -> openManager(settings).close());
            assertThat(thrown)
                    .as("open with dlm.operation.timeout=%s, below the least %s", shorter, written(least))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.operation.timeout")
                    .hasMessageContaining(least.toMillis() + "ms");
        }
    }

    /** A duration as a setting: {@code 250ms} when it is whole milliseconds, else ISO-8601. */
    private static String written(Duration duration) {
        return duration.equals(Duration.ofMillis(duration.toMillis()))
                ? duration.toMillis() + "ms"
                : duration.toString();
    }

    /**
     * One lock, inspection and release of a fresh resource, as a working engine answers them (X1);
     * a backend's own tests of its operation timeout use it too.
     *
     * @param manager the manager to go through
     * @return {@code true} when all did as asked
     */
    public static boolean aRoundWorks(LockManager manager) {
        String resource = "r-" + UUID.randomUUID();
        return manager.lock(resource, "c", 0)
                && manager.inspect(resource)
                        .filter(info -> info.clientId().equals("c"))
                        .isPresent()
                && manager.unlock(resource, "c")
                && manager.inspect(resource).isEmpty();
    }
}
