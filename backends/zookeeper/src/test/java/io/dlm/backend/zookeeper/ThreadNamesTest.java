package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Every thread a manager starts is named {@code dlm-zookeeper-...} and ends with it (C1). */
class ThreadNamesTest {

    @Test
    void curatorAndZooKeeperThreadsCarryTheBackendsNameAndEndWithIt() {
        String connect = TestZooKeeper.shared().getConnectString();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        TestBackends.Opened zk = TestBackends.open(connect, TestZooKeeper.basePath(ThreadNamesTest.class));
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> zk.manager().lock("r", "c", 0));
        List<String> started = startedSince(before);
        assertThat(started)
                .as("threads of the client")
                .filteredOn(name -> name.matches("(?i).*(curator|sendthread|eventthread).*"))
                .allMatch(name -> name.startsWith("dlm-zookeeper-"))
                .anyMatch(name -> name.contains("-SendThread"))
                .anyMatch(name -> name.contains("-EventThread"))
                .anyMatch(name -> name.contains("-curator-"));
        zk.close();
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> assertThat(startedSince(before)).noneMatch(name -> name.startsWith("dlm-zookeeper-")));
    }

    private static List<String> startedSince(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !before.contains(thread) && thread.isAlive())
                .map(Thread::getName)
                .collect(Collectors.toList());
    }
}
