package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.tck.jvm.ForkedJvm;
import io.dlm.tck.jvm.LockClientMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lock clients in other JVMs, against a server on a port handed to them on the command line: a
 * holder killed with {@code SIGKILL} frees its lock when its session expires, long before its
 * lease would end; and two JVMs counting under one lock never lose an update (M1).
 */
class HolderCrashTest {

    private static final String BASE = TestZooKeeper.basePath(HolderCrashTest.class);
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);
    private static TestingServer server;

    @BeforeAll
    static void start() {
        server = TestZooKeeper.start(-1);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static List<String> settings() {
        return List.of(
                "dlm.zookeeper.connect=127.0.0.1:" + server.getPort(),
                "dlm.zookeeper.base-path=" + BASE,
                "dlm.zookeeper.session-timeout=" + SESSION_TIMEOUT.toMillis() + "ms");
    }

    @Test
    void aHolderKilledWithSigkillLosesItsLockWhenItsSessionExpires() throws Exception {
        List<String> args = new ArrayList<>(List.of("hold", "zookeeper", "crash", "doomed", "600000"));
        args.addAll(settings());
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (ForkedJvm holder = ForkedJvm.start(LockClientMain.class, args);
                TestBackends.Opened survivor = TestBackends.open(server.getConnectString(), BASE)) {
            long token = Long.parseLong(holder.awaitLine("ACQUIRED ", Duration.ofSeconds(60))
                    .substring("ACQUIRED ".length())
                    .trim());
            assertThat(survivor.manager().inspect("crash").orElseThrow().clientId())
                    .isEqualTo("doomed");
            Future<Boolean> waiting = threads.submit(() -> survivor.manager().lock("crash", "survivor", 60_000));

            long killed = System.nanoTime();
            holder.kill();

            assertThat(waiting.get(30, TimeUnit.SECONDS)).isTrue();
            // Session expiry is checked once per tick, and the survivor is woken by the deletion.
            assertThat(Duration.ofNanos(System.nanoTime() - killed))
                    .as("time from SIGKILL to the survivor's lock, with a 10 minute lease")
                    .isLessThan(SESSION_TIMEOUT.plusSeconds(5));
            assertThat(survivor.manager().inspect("crash").orElseThrow().fencingToken())
                    .isGreaterThan(token);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void twoJvmsCountingUnderOneLockNeverLoseAnUpdate(@TempDir Path dir) throws Exception {
        Path counter = dir.resolve("counter");
        Files.writeString(counter, "0", StandardCharsets.UTF_8);
        int iterations = 40;
        List<ForkedJvm> jvms = new ArrayList<>();
        try {
            for (String client : List.of("jvm-a", "jvm-b")) {
                List<String> args = new ArrayList<>(List.of(
                        "count", "zookeeper", "counted", client, Integer.toString(iterations), counter.toString()));
                args.addAll(settings());
                jvms.add(ForkedJvm.start(LockClientMain.class, args));
            }
            for (ForkedJvm jvm : jvms) {
                jvm.awaitLine("DONE", Duration.ofSeconds(120));
                assertThat(jvm.awaitExit(Duration.ofSeconds(30))).isZero();
            }
        } finally {
            jvms.forEach(ForkedJvm::close);
        }
        assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                .isEqualTo(Integer.toString(2 * iterations));
    }
}
