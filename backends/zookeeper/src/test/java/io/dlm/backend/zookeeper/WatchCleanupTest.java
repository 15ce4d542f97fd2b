package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockError;
import io.dlm.LockException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooKeeper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * L4 and L5 as the server sees them: waiting is one persistent watch per lock node and process,
 * not polling, and a wait that ends without the lock leaves no watch behind, neither in the
 * client nor on the server (checked with the four-letter word {@code wchc}).
 */
class WatchCleanupTest {

    private static final String BASE = TestZooKeeper.basePath(WatchCleanupTest.class);
    private static TestingServer server;
    private final List<TestBackends.Opened> opened = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        server = TestZooKeeper.shared();
    }

    @AfterEach
    void closeAll() {
        threads.shutdownNow();
        opened.forEach(TestBackends.Opened::close);
    }

    private TestBackends.Opened open() {
        TestBackends.Opened zk =
                TestBackends.open(server.getConnectString(), BASE, "dlm.lease.min", "60s", "dlm.wait.recheck", "1h");
        opened.add(zk);
        return zk;
    }

    @Test
    void aTimedOutWaiterLeavesNoWatch() throws Exception {
        TestBackends.Opened holder = open();
        TestBackends.Opened waiter = open();
        assertThat(holder.manager().lock("timed-out", "holder", 0)).isTrue();
        assertThat(waiter.manager().lock("timed-out", "waiter", 300)).isFalse();
        assertNoWatchLeft(waiter, "timed-out");
        // And the resource still changes hands normally.
        assertThat(holder.manager().unlock("timed-out", "holder")).isTrue();
        assertThat(waiter.manager().lock("timed-out", "waiter", 0)).isTrue();
    }

    @Test
    void anInterruptedWaiterLeavesNoWatch() throws Exception {
        TestBackends.Opened holder = open();
        TestBackends.Opened waiter = open();
        assertThat(holder.manager().lock("interrupted", "holder", 0)).isTrue();
        Future<Boolean> waiting = threads.submit(() -> waiter.manager().lock("interrupted", "waiter", 60_000));
        awaitWatches(waiter, "interrupted", 1);
        waiting.cancel(true);
        assertNoWatchLeft(waiter, "interrupted");
        assertThat(holder.manager().inspect("interrupted").orElseThrow().clientId())
                .isEqualTo("holder");
    }

    @Test
    void waitersOfOneProcessShareOneWatchAndAreWokenByADeletionWithoutPolling() throws Exception {
        TestBackends.Opened holder = open();
        TestBackends.Opened waiter = open();
        assertThat(holder.manager().lock("shared", "holder", 0)).isTrue();
        List<Future<Boolean>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String client = "waiter-" + i;
            waiting.add(threads.submit(() -> waiter.manager().lock("shared", client, 60_000)));
        }
        awaitWatches(waiter, "shared", 1);
        assertThat(waiter.backend().watchedNodes()).isEqualTo(1);
        // Parked for a release that does not come: the waiting process sends no requests but the
        // session's pings (one every third of the session timeout, at most 10 s here).
        long sessionId = sessionId(waiter);
        long before = packetsReceivedFrom(sessionId);
        TimeUnit.MILLISECONDS.sleep(3_000);
        assertThat(packetsReceivedFrom(sessionId) - before)
                .as("requests from the waiting process in 3 s")
                .isLessThanOrEqualTo(4);
        assertThat(serverWatches(sessionId, "shared")).isEqualTo(1);

        long released = System.nanoTime();
        assertThat(holder.manager().unlock("shared", "holder")).isTrue();
        // The waiters take turns: each winner unlocks, which wakes the next through the runtime.
        int served = 0;
        while (served < 3) {
            for (Future<Boolean> future : waiting) {
                if (future.isDone()) {
                    continue;
                }
                String winner = waiter.manager()
                        .inspect("shared")
                        .map(info -> info.clientId())
                        .orElse(null);
                if (winner != null) {
                    assertThat(waiter.manager().unlock("shared", winner)).isTrue();
                }
            }
            served = (int) waiting.stream().filter(Future::isDone).count();
            TimeUnit.MILLISECONDS.sleep(10);
            assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(Duration.ofSeconds(10));
        }
        for (Future<Boolean> future : waiting) {
            assertThat(future.get(1, TimeUnit.SECONDS)).isTrue();
        }
        assertNoWatchLeft(waiter, "shared");
    }

    @Test
    void closingAManagerWithWaitersLeavesNoWatch() throws Exception {
        TestBackends.Opened holder = open();
        TestBackends.Opened waiter = open();
        assertThat(holder.manager().lock("closing", "holder", 0)).isTrue();
        Future<Boolean> waiting = threads.submit(() -> waiter.manager().lock("closing", "waiter", 60_000));
        awaitWatches(waiter, "closing", 1);
        long sessionId = sessionId(waiter);
        waiter.close();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> waiting.get(5, TimeUnit.SECONDS));
        assertThat(failure.getCause()).isInstanceOf(LockException.class);
        assertThat(((LockException) failure.getCause()).error()).isEqualTo(LockError.INTERNAL_ERROR);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> serverWatches(sessionId, "closing") == 0);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void awaitWatches(TestBackends.Opened zk, String resourceId, int count) {
        // The session id is read each time: a manager that has not connected yet has none.
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> serverWatches(sessionId(zk), resourceId) == count);
    }

    private static void assertNoWatchLeft(TestBackends.Opened zk, String resourceId) throws Exception {
        long sessionId = sessionId(zk);
        // The removal is sent when the last waiter leaves; give its reply a moment.
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> {
                    assertThat(serverWatches(sessionId, resourceId))
                            .as("watches on the server")
                            .isZero();
                    assertThat(clientWatches(zk)).as("watches in the client").isEmpty();
                    assertThat(zk.backend().watchedNodes())
                            .as("watched nodes in the backend")
                            .isZero();
                });
    }

    private static long sessionId(TestBackends.Opened zk) {
        try {
            return zk.backend().curator().getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Watches a session holds on the lock node of a resource, by the server's {@code wchc}. */
    static int serverWatches(long sessionId, String resourceId) {
        String lockPath = new NodePaths(BASE).lockPath(resourceId);
        String dump = TestZooKeeper.fourLetterWord(server.getPort(), "wchc");
        int count = 0;
        boolean inSession = false;
        for (String line : dump.split("\n")) {
            if (line.startsWith("0x")) {
                inSession = Long.parseUnsignedLong(line.substring(2).trim(), 16) == sessionId;
            } else if (inSession && line.trim().equals(lockPath)) {
                count++;
            }
        }
        return count;
    }

    /** Requests the server received from a session, by the four-letter word {@code cons}. */
    private static long packetsReceivedFrom(long sessionId) {
        String connections = TestZooKeeper.fourLetterWord(server.getPort(), "cons");
        Matcher matcher =
                Pattern.compile("recved=(\\d+),sent=\\d+,sid=0x([0-9a-f]+)").matcher(connections);
        while (matcher.find()) {
            if (Long.parseUnsignedLong(matcher.group(2), 16) == sessionId) {
                return Long.parseLong(matcher.group(1));
            }
        }
        throw new AssertionError("no connection of session 0x" + Long.toHexString(sessionId) + " in " + connections);
    }

    /** Every path the ZooKeeper client has a watcher on, persistent ones included. */
    @SuppressWarnings("unchecked")
    private static List<String> clientWatches(TestBackends.Opened zk) throws Exception {
        ZooKeeper client = zk.backend().curator().getZookeeperClient().getZooKeeper();
        List<String> all = new ArrayList<>();
        for (String getter : List.of(
                "getDataWatches",
                "getExistWatches",
                "getChildWatches",
                "getPersistentWatches",
                "getPersistentRecursiveWatches")) {
            Method method = ZooKeeper.class.getDeclaredMethod(getter);
            method.setAccessible(true);
            all.addAll((List<String>) method.invoke(client));
        }
        return all;
    }
}
