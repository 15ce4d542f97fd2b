package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.tck.TckTimings;
import io.dlm.tck.support.RunsAlone;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis server that stops answering everyone for longer than the leases ({@code DEBUG SLEEP} on a
 * private {@code redis-server}; N3, N7, K3): calls fail with {@code INTERNAL_ERROR} within the
 * operation timeout, every kept-alive lease is reported lost by its local deadline and none before
 * the stall, and the same manager works again once the server does.
 */
@RunsAlone
class RedisStalledServerTest {

    private static final Duration OPERATION_TIMEOUT = TckTimings.scaledMillis(1_000);
    private static final Duration LEASE = TckTimings.scaledMillis(1_500);
    private static final Duration TOLERANCE = TckTimings.scaledMillis(1_000);

    @TempDir
    Path dir;

    @Test
    void aServerAsleepPastTheLeasesLosesThemOnTimeAndServesAgainAfterwards() throws Exception {
        Duration stall = LEASE.multipliedBy(2);
        try (PrivateRedisServer server = PrivateRedisServer.start(dir, "--enable-debug-command", "local");
                LockManager manager =
                        TestRedis.open(server, Map.of("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms"))) {
            int count = 50;
            List<Lease> leases = new ArrayList<>();
            AtomicLongArray lostAt = new AtomicLongArray(count);
            for (int i = 0; i < count; i++) {
                Lease lease = manager.tryAcquire("stall-" + i, "c", Duration.ZERO, LEASE)
                        .orElseThrow()
                        .keepAlive();
                int index = i;
                lease.lost().thenRun(() -> lostAt.compareAndSet(index, 0, System.nanoTime()));
                leases.add(lease);
            }

            long stalled = System.nanoTime();
            debugSleep(server.port(), stall);
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.inspect("stall-0"))
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("X1: a call to a stalled server fails within the operation timeout")
                    .isLessThan(OPERATION_TIMEOUT.plus(TOLERANCE));

            Awaitility.await("K3: every kept-alive lease reported lost")
                    .atMost(LEASE.plus(TOLERANCE))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> countLost(lostAt) == count);
            for (int i = 0; i < count; i++) {
                Duration after = Duration.ofNanos(lostAt.get(i) - stalled);
                assertThat(after).as("lease %d lost by its deadline", i).isLessThanOrEqualTo(LEASE.plus(TOLERANCE));
                // Its last confirmed renewal was at most a third of the lease before the stall.
                assertThat(after).as("lease %d not lost early", i).isGreaterThanOrEqualTo(LEASE.dividedBy(2));
            }

            // Once the server answers again, the same manager serves (a caller retries errors).
            long deadline = System.nanoTime()
                    + stall.plus(OPERATION_TIMEOUT.multipliedBy(3)).toNanos();
            Optional<Lease> again = Optional.empty();
            while (again.isEmpty()) {
                try {
                    again = manager.tryAcquire("stall-0", "c2", OPERATION_TIMEOUT, LEASE);
                } catch (LockException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                }
            }
            assertThat(again.get().fencingToken()).isGreaterThan(leases.get(0).fencingToken());
        }
    }

    /** Sends {@code DEBUG SLEEP} on a connection of its own and does not wait for the reply. */
    private static void debugSleep(int port, Duration stall) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            OutputStream out = socket.getOutputStream();
            String seconds = String.format(Locale.ROOT, "%.3f", stall.toMillis() / 1000.0);
            out.write(("DEBUG SLEEP " + seconds + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Closing now is fine: Redis runs the command it read before it notices the close.
            Thread.sleep(50);
        }
    }

    private static int countLost(AtomicLongArray lostAt) {
        int lost = 0;
        for (int i = 0; i < lostAt.length(); i++) {
            lost += lostAt.get(i) != 0 ? 1 : 0;
        }
        return lost;
    }
}
