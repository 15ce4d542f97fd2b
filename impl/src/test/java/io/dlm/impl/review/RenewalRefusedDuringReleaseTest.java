package io.dlm.impl.review;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * K3 ("after a normal release lost() never completes"): a keep-alive renewal sent before
 * release() (allowed by D4) reaches the engine after the release and is refused. Its completion
 * (DefaultLease.renewed, DefaultLease.java:330) finds the state still HELD, because release()
 * moves HELD to RELEASED only after the engine's reply (DefaultLease.java:142), and reports a
 * loss. release() then returns true: a normal release, with lost() completed.
 */
class RenewalRefusedDuringReleaseTest {

    @Test
    void K3_aRenewalRefusedBecauseOfTheReleaseIsNotALoss() throws Exception {
        CountDownLatch renewEntered = new CountDownLatch(1);
        CountDownLatch letRenewGo = new CountDownLatch(1);
        CountDownLatch releasedOnEngine = new CountDownLatch(1);
        CountDownLatch letReleaseReturn = new CountDownLatch(1);
        ForwardingBackend backend = new ForwardingBackend(new MemoryLockBackend(Ticker.system())) {
            @Override
            public boolean renew(String r, String c, long token) {
                if (renewEntered.getCount() > 0) {
                    renewEntered.countDown();
                    await(letRenewGo); // the request is on the wire
                }
                return super.renew(r, c, token);
            }

            @Override
            public boolean release(String r, String c, long token) {
                boolean released = super.release(r, c, token);
                releasedOnEngine.countDown();
                await(letReleaseReturn); // the reply is on the wire
                return released;
            }
        };
        try (LockManager manager =
                DefaultLockManager.open(backend, Map.of("dlm.heartbeat.interval", "100ms"), Ticker.system())) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            assertThat(renewEntered.await(5, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Boolean> release = CompletableFuture.supplyAsync(lease::release);
            assertThat(releasedOnEngine.await(5, TimeUnit.SECONDS)).isTrue();
            letRenewGo.countDown(); // refused: the engine already released it
            Thread.sleep(300);
            letReleaseReturn.countDown();
            assertThat(release.get(5, TimeUnit.SECONDS)).as("release()").isTrue();
            Thread.sleep(200);
            assertThat(lease.lost().toCompletableFuture())
                    .as("lost() of a lease that release() reported released normally")
                    .isNotDone();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
