package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * L4 and L5 as Redis sees them: a waiter subscribes to its resource's release channel while it
 * waits, shares that subscription with the other waiters of its process, and leaves no
 * subscription behind when it times out, is interrupted or its manager closes ({@code PUBSUB
 * NUMSUB}).
 */
class RedisWaitingTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("waiting");

    private static final String PREFIX = KEYS.prefix();
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final RedisKeys keys = new RedisKeys(PREFIX);
    private final List<LockManager> managers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private TestRedis.Admin admin;

    @BeforeEach
    void connect() {
        admin = TestRedis.admin(TestRedis.uri());
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        for (Thread thread : threads) {
            thread.interrupt();
            thread.join(PATIENCE.toMillis());
        }
        managers.forEach(LockManager::close);
        admin.close();
    }

    private LockManager open() {
        LockManager manager = TestRedis.open(PREFIX, Map.of("dlm.lease.min", "60s"));
        managers.add(manager);
        return manager;
    }

    private String resource() {
        return "r-" + System.nanoTime();
    }

    private <T> CompletableFuture<T> inBackground(String name, java.util.concurrent.Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        result.complete(call.call());
                    } catch (Throwable t) {
                        result.completeExceptionally(t);
                    }
                },
                "test-" + name);
        threads.add(thread);
        thread.start();
        return result;
    }

    private void awaitSubscribers(String resource, long count) {
        String channel = keys.releaseChannel(resource);
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(admin.subscribers(channel))
                        .as("subscribers of %s", channel)
                        .isEqualTo(count));
    }

    /** A new resource that {@code holding} locks for "holder". */
    private String heldBy(LockManager holding) {
        String resource = resource();
        assertThat(holding.lock(resource, "holder", 0)).isTrue();
        return resource;
    }

    /** "waiter" waiting for the resource on {@code waiting}, in the background, once it has subscribed. */
    private CompletableFuture<Boolean> subscribedWaiter(LockManager waiting, String resource) {
        CompletableFuture<Boolean> waiter = inBackground("waiter", () -> waiting.lock(resource, "waiter", 30_000));
        awaitSubscribers(resource, 1);
        return waiter;
    }

    @Test
    void L5_aTimedOutWaiterLeavesNoSubscription() {
        LockManager manager = open();
        String resource = heldBy(manager);
        assertThat(manager.lock(resource, "waiter", 300)).isFalse();
        awaitSubscribers(resource, 0);
    }

    @Test
    void L5_anInterruptedWaiterLeavesNoSubscription() throws InterruptedException {
        LockManager manager = open();
        String resource = heldBy(manager);
        AtomicReference<Thread> waiterThread = new AtomicReference<>();
        CompletableFuture<Boolean> waiter = inBackground("waiter", () -> {
            waiterThread.set(Thread.currentThread());
            return manager.lock(resource, "waiter", 30_000);
        });
        awaitSubscribers(resource, 1);
        waiterThread.get().interrupt();
        assertThat(failure(waiter))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
        awaitSubscribers(resource, 0);
        assertThat(manager.inspect(resource).orElseThrow().clientId()).isEqualTo("holder");
    }

    @Test
    void L5_closingAManagerLeavesNoSubscription() {
        LockManager manager = open();
        String resource = heldBy(open());
        CompletableFuture<Boolean> waiter = subscribedWaiter(manager, resource);
        manager.close();
        assertThat(failure(waiter)).isInstanceOf(LockException.class);
        awaitSubscribers(resource, 0);
    }

    @Test
    void L4_waitersOfOneProcessShareOneSubscriptionAndAllGetTheLockInTurn() throws Exception {
        LockManager holding = open();
        LockManager waiting = open();
        String resource = heldBy(holding);
        List<CompletableFuture<Boolean>> waiters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String client = "waiter" + i;
            waiters.add(inBackground(client, () -> {
                boolean locked = waiting.lock(resource, client, 30_000);
                if (locked) {
                    waiting.unlock(resource, client);
                }
                return locked;
            }));
        }
        // One connection of one manager subscribes, however many of its threads wait.
        awaitSubscribers(resource, 1);
        assertThat(holding.unlock(resource, "holder")).isTrue();
        for (CompletableFuture<Boolean> waiter : waiters) {
            assertThat(waiter.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        }
        awaitSubscribers(resource, 0);
    }

    @Test
    void L4_aReleaseInAnotherProcessWakesTheWaiterWithoutWaitingForTheLease() throws Exception {
        LockManager holding = open();
        String resource = heldBy(holding);
        CompletableFuture<Boolean> waiter = subscribedWaiter(open(), resource);
        long released = System.nanoTime();
        assertThat(holding.unlock(resource, "holder")).isTrue();
        assertThat(waiter.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        // The holder's lease was 60 s; a prompt return means the release itself woke the waiter.
        assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(Duration.ofSeconds(5));
    }

    private static Throwable failure(CompletableFuture<?> future) {
        try {
            future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the waiter did not fail in time", e);
        }
        throw new AssertionError("the waiter returned instead of failing");
    }
}
