package io.dlm.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.health.HealthContainer.Readiness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * O2 against a real Redis that the test starts, kills and starts again: the readiness check follows
 * the manager's last engine contact, goes DOWN once the engine has been silent for an operation
 * timeout, comes back UP with the next answer, and never calls the engine itself.
 */
class LockManagerReadinessTest {

    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(500);
    /** Room for a loaded two-core machine between the moment a probe could be DOWN and the probe. */
    private static final Duration SLACK = Duration.ofSeconds(2);
    /**
     * How long before the test sees a failed call return the manager may have recorded its failure:
     * room for the test thread to be paused in between on a loaded machine. A check that came back
     * after one operation timeout instead of two would be UP about one operation timeout after the
     * call, well short of two less this.
     */
    private static final Duration RECORDED_BEFORE_RETURN = OPERATION_TIMEOUT.dividedBy(2);

    @TempDir
    Path dir;

    @Test
    void O2_upWhileTheEngineAnswers_downAfterAnOperationTimeoutOfFailures_upAgainAfterTheNextAnswer() throws Exception {
        try (RedisProcess redis = RedisProcess.start(dir);
                HealthContainer app = HealthContainer.start(redisConfig(redis.uri()))) {
            LockManager manager = app.manager();
            assertThat(manager.lock("orders/1", "worker", 0)).isTrue();
            Readiness answering = app.readiness();
            assertThat(answering.status()).isEqualTo("UP");
            assertThat(answering.data("default.status")).isEqualTo("UP");
            assertThat(answering.data("default.state")).isEqualTo("open");
            assertThat(answering.data("default.backend")).isEqualTo("redis");
            assertThat(Long.parseLong(answering.data("default.lastAnswerMillisAgo")))
                    .isBetween(0L, SLACK.toMillis());
            assertThat(answering.data("default.operationTimeoutMillis")).isEqualTo("500");
            assertThat(answering.data("default.failingForMillis")).isNull();

            redis.stop();
            long failingFrom = System.nanoTime();
            CompletableFuture<LockException> failure = CompletableFuture.supplyAsync(
                    () -> catchThrowableOfType(LockException.class, () -> manager.inspect("orders/1")));
            List<Probe> probes = probeUntilDown(app, failingFrom);
            // Before an operation timeout of failures it was UP; once that had passed it was DOWN.
            assertThat(probes)
                    .filteredOn(probe -> probe.endedAfter().compareTo(OPERATION_TIMEOUT) < 0)
                    .isNotEmpty()
                    .allSatisfy(probe -> assertThat(probe.readiness().status()).isEqualTo("UP"));
            Probe down = probes.get(probes.size() - 1);
            assertThat(down.endedAfter()).isBetween(OPERATION_TIMEOUT, OPERATION_TIMEOUT.plus(SLACK));
            assertThat(down.readiness().data("default.status")).isEqualTo("DOWN");
            assertThat(Long.parseLong(down.readiness().data("default.failingForMillis")))
                    .isGreaterThanOrEqualTo(OPERATION_TIMEOUT.toMillis());
            assertThat(down.readiness().data("default.lastFailure")).isNotBlank();
            assertThat(failure.get().error()).isEqualTo(LockError.INTERNAL_ERROR);

            // DOWN for as long as the calls keep failing...
            long keptFailing = System.nanoTime();
            long lastCallEnded;
            do {
                catchThrowableOfType(LockException.class, () -> manager.inspect("orders/1"));
                lastCallEnded = System.nanoTime();
                assertThat(app.readiness().status()).isEqualTo("DOWN");
            } while (since(keptFailing).compareTo(OPERATION_TIMEOUT.multipliedBy(3)) < 0);
            // ...and UP again once no call has failed for two operation timeouts, so that a
            // readiness check that stopped the traffic lets it back to find out (O2). Each of
            // these calls waits out its operation timeout, and its failure is recorded as it ends,
            // so the quiet time is counted from the call's end, less RECORDED_BEFORE_RETURN.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> app.readiness().status().equals("UP"));
            assertThat(since(lastCallEnded))
                    .isGreaterThanOrEqualTo(OPERATION_TIMEOUT.multipliedBy(2).minus(RECORDED_BEFORE_RETURN));
            assertThat(app.readiness().data("default.lastFailure")).isNotBlank();

            redis.restart();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreException(LockException.class)
                    .until(() -> manager.lock("orders/2", "worker", 0));
            Readiness back = app.readiness();
            assertThat(back.status()).isEqualTo("UP");
            assertThat(back.data("default.status")).isEqualTo("UP");
            assertThat(back.data("default.failingForMillis")).isNull();
        }
    }

    @Test
    void O2_probesNeverCallTheEngine_anIdleManagerStaysUpWhileItsEngineIsGone() throws Exception {
        try (RedisProcess redis = RedisProcess.start(dir);
                HealthContainer app = HealthContainer.start(redisConfig(redis.uri()))) {
            assertThat(app.manager().lock("orders/1", "worker", 0)).isTrue();
            redis.stop();
            long stopped = System.nanoTime();
            // Probe for three operation timeouts: had a probe called Redis, its failure would be
            // recorded and the check would be DOWN after one.
            while (since(stopped).compareTo(OPERATION_TIMEOUT.multipliedBy(3)) < 0) {
                Readiness idle = app.readiness();
                assertThat(idle.status()).isEqualTo("UP");
                assertThat(idle.data("default.failingForMillis")).isNull();
                assertThat(idle.data("default.lastFailure")).isNull();
                Thread.sleep(50);
            }
            assertThat(Long.parseLong(app.readiness().data("default.lastAnswerMillisAgo")))
                    .isGreaterThanOrEqualTo(OPERATION_TIMEOUT.multipliedBy(3).toMillis());
        }
    }

    @Test
    void O2_aManagerNothingUsedIsNotOpenedByTheProbe_andEveryManagerBeanIsReported() throws Exception {
        // Nothing listens on this port: a probe that opened the manager would find no Redis there.
        String nowhere = "redis://127.0.0.1:" + RedisProcess.freePort();
        try (HealthContainer app = HealthContainer.start(redisConfig(nowhere), AuditLocks.class)) {
            LockManager audit = app.select(LockManager.class, Audit.Literal.INSTANCE);
            assertThat(audit.lock("ledger", "auditor", 0)).isTrue();
            for (int probe = 0; probe < 3; probe++) {
                Readiness readiness = app.readiness();
                assertThat(readiness.status()).isEqualTo("UP");
                assertThat(readiness.data("default.state")).isEqualTo("not opened");
                assertThat(readiness.data("default.status")).isEqualTo("UP");
                assertThat(readiness.data("default.backend")).isNull();
                assertThat(readiness.data("Audit.state")).isEqualTo("open");
                assertThat(readiness.data("Audit.backend")).isEqualTo("memory");
                assertThat(readiness.data("Audit.status")).isEqualTo("UP");
            }
        }
    }

    private static List<Probe> probeUntilDown(HealthContainer app, long failingFrom) throws InterruptedException {
        List<Probe> probes = new ArrayList<>();
        while (since(failingFrom).compareTo(OPERATION_TIMEOUT.plus(SLACK).plus(SLACK)) < 0) {
            Readiness readiness = app.readiness();
            Probe probe = new Probe(since(failingFrom), readiness);
            probes.add(probe);
            if (readiness.status().equals("DOWN")) {
                return probes;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("still UP " + since(failingFrom) + " after Redis was killed, after " + probes.size()
                + " probes; the last: " + probes.get(probes.size() - 1));
    }

    /**
     * One readiness probe.
     *
     * @param endedAfter when it returned, counted from just before the failing call was sent: a
     *     probe that returned before an operation timeout cannot have seen that long a failure
     */
    private record Probe(Duration endedAfter, Readiness readiness) {}

    private static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }

    private static Map<String, String> redisConfig(String uri) {
        return Map.of(
                "dlm.backend",
                "redis",
                "dlm.redis.uri",
                uri,
                "dlm.redis.key-prefix",
                "dlm-health-test:" + UUID.randomUUID() + ":",
                "dlm.operation.timeout",
                OPERATION_TIMEOUT.toMillis() + "ms");
    }
}
