package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.jvm.ForkedJvm;
import io.dlm.tck.jvm.LockClientMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Lock clients in other JVMs on one table (M1, F1, E2): a holder killed with {@code SIGKILL} keeps
 * its lock until the lease runs out and not a moment longer, and two JVMs contending for one
 * resource never overlap and get ever larger tokens. H2 in memory lives in one JVM, so this runs
 * on the two servers only.
 */
class ForkedClientsTest {

    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    private String table(TestDatabase database) {
        database.assumeAvailable();
        String table = database.createTable("forked");
        cleanup.add(() -> database.dropTable(table));
        return table;
    }

    private static List<String> args(
            String mode,
            String resource,
            String client,
            String count,
            TestDatabase database,
            String table,
            String... more) {
        List<String> args = new ArrayList<>(List.of(mode, "jdbc", resource, client, count));
        args.addAll(List.of(more));
        for (Map.Entry<String, String> setting : database.settings(table).entrySet()) {
            args.add(setting.getKey() + "=" + setting.getValue());
        }
        return args;
    }

    private ForkedJvm fork(List<String> args) throws Exception {
        ForkedJvm jvm = ForkedJvm.start(LockClientMain.class, args);
        cleanup.add(jvm::close);
        return jvm;
    }

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void holderKilledWithSigkillKeepsTheLockUntilItsLeaseEnds(TestDatabase database) throws Exception {
        String table = table(database);
        Duration lease = Duration.ofSeconds(3);
        ForkedJvm holder = fork(args("hold", "r", "doomed", Long.toString(lease.toMillis()), database, table));
        long holderToken = Long.parseLong(
                holder.awaitLine("ACQUIRED ", Duration.ofSeconds(60)).substring(9));
        long acquired = System.nanoTime();
        holder.kill();
        try (LockManager manager = LockManagers.open("jdbc", database.settings(table))) {
            LockInfo info = manager.inspect("r").orElseThrow();
            assertThat(info.clientId()).as("holder after SIGKILL").isEqualTo("doomed");
            assertThat(info.fencingToken()).isEqualTo(holderToken);
            assertThat(manager.lock("r", "survivor", 30_000)).isTrue();
            Duration waited = Duration.ofNanos(System.nanoTime() - acquired);
            assertThat(waited)
                    .as("time from the holder's acquisition to the survivor's")
                    .isGreaterThanOrEqualTo(lease.minusMillis(500))
                    .isLessThan(lease.plus(TckTimings.scaled(Duration.ofSeconds(5))));
            assertThat(manager.inspect("r").orElseThrow().fencingToken()).isGreaterThan(holderToken);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void twoJvmsContendingNeverOverlapAndTokensGrow(TestDatabase database) throws Exception {
        String table = table(database);
        int iterations = 25;
        Path counter = Files.createTempFile("dlm-counter-", ".txt");
        cleanup.add(() -> counter.toFile().delete());
        Files.writeString(counter, "0", StandardCharsets.UTF_8);
        List<ForkedJvm> jvms = new ArrayList<>();
        for (String client : List.of("jvm-a", "jvm-b")) {
            jvms.add(fork(args(
                    "count", "shared", client, Integer.toString(iterations), database, table, counter.toString())));
        }
        Set<Long> all = new HashSet<>();
        for (ForkedJvm jvm : jvms) {
            long previous = Long.MIN_VALUE;
            for (int i = 0; i < iterations; i++) {
                long token = Long.parseLong(
                        jvm.awaitLine("TOKEN ", Duration.ofSeconds(90)).substring(6));
                assertThat(token).as("token %d of one JVM", i).isGreaterThan(previous);
                assertThat(all.add(token)).as("token %d issued twice", token).isTrue();
                previous = token;
            }
            jvm.awaitLine("DONE", Duration.ofSeconds(90));
            assertThat(jvm.awaitExit(Duration.ofSeconds(30))).isZero();
        }
        // The counter is read and written without any other guard than the lock (M1).
        assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                .isEqualTo(Integer.toString(2 * iterations));
    }
}
