package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * K3 ("after a normal release lost() never completes"): a keep-alive renewal sent before
 * release() (allowed by D4) is answered only after the release, and refused, since the engine no
 * longer has the lease. That refusal is the release's doing, not a loss. Asynchronous renewals
 * can be overtaken this way; a blocking one is waited for by release() before it sends.
 */
class RenewalRefusedDuringReleaseTest {

    /** Answers renewals asynchronously; the first answer waits until the test lets it go. */
    private static final class LateAnswers extends ForwardingBackend implements AsyncLockBackend {
        final CountDownLatch renewSent = new CountDownLatch(1);
        final CountDownLatch releasedOnEngine = new CountDownLatch(1);
        final CompletableFuture<Void> letRenewAnswer = new CompletableFuture<>();

        LateAnswers() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        @Override
        public CompletionStage<Boolean> renewAsync(String r, String c, long token) {
            if (renewSent.getCount() > 0) {
                renewSent.countDown();
                // Applied when the test lets it go, after the release: then refused.
                return letRenewAnswer.thenApply(ignored -> real.renew(r, c, token));
            }
            return CompletableFuture.completedFuture(real.renew(r, c, token));
        }

        @Override
        public boolean release(String r, String c, long token) {
            boolean released = super.release(r, c, token);
            releasedOnEngine.countDown();
            // The renewal sent earlier is applied now, refused, and its answer handled while the
            // release's own reply is still on its way back.
            letRenewAnswer.complete(null);
            sleepQuietly(300);
            return released;
        }

        private static void sleepQuietly(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void K3_aRenewalRefusedBecauseOfTheReleaseIsNotALoss() throws Exception {
        LateAnswers backend = new LateAnswers();
        try (LockManager manager =
                DefaultLockManager.open(backend, Map.of("dlm.heartbeat.interval", "100ms"), Ticker.system())) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            CompletionStage<LockException> lost = lease.lost();
            assertThat(backend.renewSent.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(lease.release()).as("release()").isTrue();
            assertThat(backend.releasedOnEngine.getCount()).isZero();
            assertThat(lost.toCompletableFuture())
                    .as("lost() of a lease that release() reported released normally")
                    .isNotDone();
        }
    }
}
