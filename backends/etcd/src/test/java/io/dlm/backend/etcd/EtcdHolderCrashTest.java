package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
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
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients in other JVMs: a holder killed with {@code SIGKILL} keeps the lock until its lease runs
 * out on the etcd leader's clock, and not a moment longer than etcd's expiry check allows (E2,
 * E3); and two JVMs counting under one lock never lose an update (M1 across processes).
 */
class EtcdHolderCrashTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration LEASE = Duration.ofSeconds(3);

    /**
     * A fresh JVM's first call loads gRPC and Netty and connects; on a busy machine that alone can
     * take seconds, so the forked clients get more than the default operation timeout.
     */
    private static final String COLD_START_TIMEOUT = "dlm.operation.timeout=30s";

    private final String namespace = "/dlm-test/crash-" + UUID.randomUUID() + "/";

    @Test
    void aKilledHoldersLockIsFreeOnceItsLeaseRunsOutAndNotBefore() throws Exception {
        try (LockManager manager = open();
                ForkedJvm holder = ForkedJvm.start(
                        LockClientMain.class,
                        List.of(
                                "hold",
                                "etcd",
                                "r",
                                "crashing-holder",
                                Long.toString(LEASE.toMillis()),
                                "dlm.etcd.endpoints=" + ETCD.endpoints(),
                                "dlm.etcd.namespace=" + namespace,
                                COLD_START_TIMEOUT))) {
            String line = holder.awaitLine("ACQUIRED ", Duration.ofSeconds(60));
            // The holder's lease started before it printed the line, so this is a late estimate.
            long acquiredAt = System.nanoTime();
            long token = Long.parseLong(line.substring("ACQUIRED ".length()).trim());
            holder.kill();

            LockInfo info = manager.inspect("r").orElseThrow();
            assertThat(info.clientId()).isEqualTo("crashing-holder");
            assertThat(info.fencingToken()).isEqualTo(token);
            assertThat(manager.lock("r", "other", 0))
                    .as("lock right after the crash")
                    .isFalse();

            assertThat(manager.lock("r", "other", 30_000)).isTrue();
            Duration waited = Duration.ofNanos(System.nanoTime() - acquiredAt);
            // Not before the lease ran out (less the time it took the holder to print its line)...
            assertThat(waited).isGreaterThan(LEASE.minusMillis(500));
            // ...and soon after: etcd's leader checks for expired leases every 500 ms.
            assertThat(waited).isLessThan(LEASE.plusSeconds(3));
            assertThat(manager.inspect("r").orElseThrow().fencingToken()).isGreaterThan(token);
        }
    }

    @Test
    void twoJvmsCountingUnderOneLockNeverLoseAnUpdate(@TempDir Path dir) throws Exception {
        Path counter = Files.writeString(dir.resolve("counter"), "0", StandardCharsets.UTF_8);
        int iterations = 25;
        List<ForkedJvm> jvms = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                jvms.add(ForkedJvm.start(
                        LockClientMain.class,
                        List.of(
                                "count",
                                "etcd",
                                "counted",
                                "jvm-" + i,
                                Integer.toString(iterations),
                                counter.toString(),
                                "dlm.etcd.endpoints=" + ETCD.endpoints(),
                                "dlm.etcd.namespace=" + namespace,
                                COLD_START_TIMEOUT)));
            }
            Set<Long> tokens = new HashSet<>();
            for (ForkedJvm jvm : jvms) {
                for (int i = 0; i < iterations; i++) {
                    String line = jvm.awaitLine("TOKEN ", Duration.ofSeconds(60));
                    assertThat(tokens.add(Long.parseLong(
                                    line.substring("TOKEN ".length()).trim())))
                            .as("fencing tokens are never reused")
                            .isTrue();
                }
                jvm.awaitLine("DONE", Duration.ofSeconds(60));
                assertThat(jvm.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            assertThat(Files.readString(counter, StandardCharsets.UTF_8).trim())
                    .isEqualTo(Integer.toString(2 * iterations));
        } finally {
            jvms.forEach(ForkedJvm::close);
        }
    }

    private LockManager open() {
        return LockManagers.open(
                "etcd", Map.of("dlm.etcd.endpoints", ETCD.endpoints(), "dlm.etcd.namespace", namespace));
    }
}
