package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FaultProxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The PostgreSQL listener connection going silent (a partition, a dropped NAT entry: no reset, no
 * error, just no bytes), through the fault tier's TCP proxy. Waiters here have no recheck of their
 * own ({@code dlm.wait.recheck} of an hour), so only the listener can wake them.
 */
class PostgresSilentListenerTest {

    private static final TestDatabase DATABASE = TestDatabase.POSTGRESQL;

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(DATABASE, "silent");

    private static final Duration OPERATION_TIMEOUT = TckTimings.scaledMillis(1_000);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /**
     * N4, L4: every connection of the waiting manager dies silently while the network itself comes
     * back; the release's NOTIFY is lost with the listener. The listener finds its connection dead
     * by its ping within a second plus its network timeout, listens again on a new one and wakes the
     * waiter, which gets the lock seconds after the release, not at the end of its wait.
     */
    @Test
    void N4_aListenerWhoseConnectionDiedSilentlyIsReplacedAndStillWakesTheWaiter() throws Exception {
        FaultProxy proxy = track(FaultProxy.start(host(), port()));
        LockManager waiting = open(proxy.host(), proxy.port());
        LockManager holding = open(host(), port());
        assertThat(holding.lock("r", "holder", 0)).isTrue(); // a 60 s lease: no expiry in sight
        AtomicReference<Thread> waiterThread = new AtomicReference<>();
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            waiterThread.set(Thread.currentThread());
            return waiting.lock("r", "waiter", 30_000);
        });
        awaitListening();
        awaitAsleep(waiterThread);

        proxy.blackhole(FaultProxy.Direction.BOTH);
        proxy.heal(); // new connections pass; every old one, the listener's among them, stays dead
        long released = System.nanoTime();
        assertThat(holding.unlock("r", "holder")).isTrue();

        Duration bound = TckTimings.scaledMillis(1_000).plus(OPERATION_TIMEOUT).plus(TckTimings.scaledMillis(4_000));
        assertThat(waiter.get(bound.toMillis(), TimeUnit.MILLISECONDS))
                .as("the waiter gets the released lock")
                .isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - released))
                .as("woken by the replaced listener, not by the end of its 30 s wait")
                .isLessThan(bound);
    }

    /**
     * C1: closing a manager whose listener is blocked on a silent connection neither waits for TCP to
     * give up nor leaves the listener's thread running.
     */
    @Test
    void C1_closeDoesNotWaitOnASilentListenerAndLeavesNoThread() throws Exception {
        Set<String> before = listenerThreads();
        FaultProxy proxy = track(FaultProxy.start(host(), port()));
        LockManager waiting = track(LockManagers.open("jdbc", settings(proxy.host(), proxy.port())));
        LockManager holding = open(host(), port());
        assertThat(holding.lock("r2", "holder", 0)).isTrue();
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> waiting.lock("r2", "waiter", 30_000));
        awaitListening();
        Set<String> mine = listenerThreads();
        mine.removeAll(before);
        assertThat(mine).as("the waiting manager's listener thread").hasSize(1);

        proxy.blackhole(FaultProxy.Direction.BOTH);
        // Past a second of silence the listener pings, and that statement now waits on a dead socket.
        Thread.sleep(TckTimings.scaledMillis(1_500).toMillis());
        long start = System.nanoTime();
        waiting.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took)
                .as("close of a manager whose listener is blocked")
                .isLessThan(OPERATION_TIMEOUT.multipliedBy(3).plus(TckTimings.scaledMillis(2_000)));
        Set<String> alive = listenerThreads();
        alive.retainAll(mine);
        assertThat(alive)
                .as("listener threads of the closed manager still running (C1)")
                .isEmpty();
        assertThat(waiter).failsWithin(Duration.ofSeconds(10));
    }

    private void awaitListening() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> DATABASE.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '"
                                + Connections.listenerName(TableName.parse(TABLE.name())) + "'")
                        >= 1);
    }

    private static void awaitAsleep(AtomicReference<Thread> waiter) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    Thread thread = waiter.get();
                    Thread.State state = thread == null ? Thread.State.NEW : thread.getState();
                    return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
                });
    }

    private static Set<String> listenerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith("dlm-jdbc-listener-"))
                .collect(Collectors.toSet());
    }

    private LockManager open(String host, int port) {
        return track(LockManagers.open("jdbc", settings(host, port)));
    }

    private static Map<String, String> settings(String host, int port) {
        URI uri = URI.create(DATABASE.url().substring("jdbc:".length()));
        String url = "jdbc:postgresql://" + host + ":" + port + uri.getRawPath();
        return Map.of(
                "dlm.jdbc.url",
                url,
                "dlm.jdbc.user",
                DATABASE.user(),
                "dlm.jdbc.password",
                DATABASE.password(),
                "dlm.jdbc.table",
                TABLE.name(),
                "dlm.lease.min",
                "60s",
                "dlm.wait.recheck",
                "1h",
                "dlm.operation.timeout",
                OPERATION_TIMEOUT.toMillis() + "ms");
    }

    private static String host() {
        return URI.create(DATABASE.url().substring("jdbc:".length())).getHost();
    }

    private static int port() {
        return URI.create(DATABASE.url().substring("jdbc:".length())).getPort();
    }

    private <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }
}
