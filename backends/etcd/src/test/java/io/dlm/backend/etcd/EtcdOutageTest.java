package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * X1 against a real outage: with the only etcd member stopped, every call fails with {@code
 * INTERNAL_ERROR} and its cause within the operation timeout, a waiter is not left hanging, and
 * once the member is back the same manager carries on, the lock taken before the outage included.
 */
class EtcdOutageTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);

    /** Time for the JVM and the machine on top of the operation timeout. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    @Test
    void callsFailFastWhileTheServerIsDownAndWorkResumesWhenItIsBack() throws Exception {
        EtcdMember member = ETCD.members().get(0);
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (LockManager manager = ETCD.open(
                EtcdExtension.freshNamespace("outage"),
                "dlm.operation.timeout",
                OPERATION_TIMEOUT.toMillis() + "ms",
                "dlm.lease.min",
                "60s")) {
            assertThat(manager.lock("held", "c", 0)).isTrue();
            Future<Boolean> waiter = threads.submit(() -> manager.lock("held", "waiter", 120_000));
            Awaitility.await()
                    .during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !waiter.isDone());

            member.stop();

            Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
            calls.put("lock", () -> manager.lock("other", "c", 0));
            calls.put("tryAcquire", () -> manager.tryAcquire("other", "c", Duration.ZERO, Duration.ofSeconds(5)));
            calls.put("heartbeat", () -> manager.heartbeat("held", "c"));
            calls.put("inspect", () -> manager.inspect("held"));
            calls.put("unlock", () -> manager.unlock("held", "c"));
            calls.forEach((name, call) -> {
                long start = System.nanoTime();
                Throwable thrown = catchThrowable(call);
                assertThat(thrown).as("%s while etcd is down", name).isInstanceOf(LockException.class);
                assertThat(((LockException) thrown).error()).as(name).isEqualTo(LockError.INTERNAL_ERROR);
                assertThat(thrown.getCause()).as("cause of %s's failure", name).isNotNull();
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .as("time %s took to fail", name)
                        .isLessThan(OPERATION_TIMEOUT.plus(SLACK));
            });
            // The waiter's watch broke with the connection: it is woken, tries, and reports the outage.
            Throwable waiterFailure = catchThrowable(() -> waiter.get(10, TimeUnit.SECONDS));
            assertThat(waiterFailure.getCause()).isInstanceOf(LockException.class);
            assertThat(((LockException) waiterFailure.getCause()).error()).isEqualTo(LockError.INTERNAL_ERROR);

            ETCD.start(member);
            ETCD.awaitHealthy();
            // gRPC reconnects with backoff; allow it a few attempts.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreException(LockException.class)
                    .until(() -> manager.lock("after", "c", 0));
            // The lock from before the outage survived it (the cluster persisted key and lease).
            assertThat(manager.inspect("held"))
                    .hasValueSatisfying(info -> assertThat(info.clientId()).isEqualTo("c"));
            assertThat(manager.heartbeat("held", "c")).isTrue();
            assertThat(manager.unlock("held", "c")).isTrue();
            assertThat(manager.lock("held", "next", 0)).isTrue();
        } finally {
            threads.shutdownNow();
            if (!member.isRunning()) {
                ETCD.start(member);
            }
        }
    }
}
