package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * M1 and M2: mutual exclusion and thread safety under load. Critical sections are guarded by the
 * lock under test alone, and each keeps a check the lock should make redundant: a non-atomic
 * counter, an "inside" marker set by compare-and-set, and the fencing token order.
 *
 * <p>Workers hold leases far longer than their critical sections, so an overlap is a real breach
 * of M1 and never a lease that legitimately ran out. Expiry is still exercised, by an extra thread
 * that takes short leases and walks away.
 */
abstract class ConcurrencyRules extends RuleGroup {

    /** Set it to replay a fuzz run: {@code -Ddlm.tck.seed=...}. */
    static final String SEED_PROPERTY = "dlm.tck.seed";

    private static final int THREADS = 8;

    ConcurrencyRules(LockManagerTck tck) {
        super(tck);
    }

    @Test
    void M1_threadsGuardingANonAtomicCounterNeverOverlap() {
        LockManager manager = manager();
        String resource = resource();
        int rounds = 40;
        NonAtomicCounter counter = new NonAtomicCounter();
        AtomicReference<String> inside = new AtomicReference<>();
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        List<Long> tokens = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Background<Void>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            String client = client("worker" + t + "-");
            boolean useLease = t % 2 == 1;
            workers.add(inBackground(client, () -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    Optional<Lease> lease = Optional.empty();
                    if (useLease) {
                        lease = manager.tryAcquire(resource, client, scaled(30_000), longLease());
                        if (lease.isEmpty()) {
                            violations.add(client + " timed out in round " + i);
                            continue;
                        }
                    } else if (!manager.lock(resource, client, scaled(30_000).toMillis())) {
                        violations.add(client + " timed out in round " + i);
                        continue;
                    }
                    if (!inside.compareAndSet(null, client)) {
                        violations.add(client + " entered while " + inside.get() + " was inside");
                    }
                    long token = lease.isPresent()
                            ? lease.get().fencingToken()
                            : manager.inspect(resource)
                                    .map(LockInfo::fencingToken)
                                    .orElse(-1L);
                    // Appended inside the critical section, so the list is in acquisition order.
                    synchronized (tokens) {
                        tokens.add(token);
                    }
                    counter.increment();
                    inside.compareAndSet(client, null);
                    boolean released = lease.isPresent() ? lease.get().release() : manager.unlock(resource, client);
                    if (!released) {
                        violations.add(client + " could not release its own lock in round " + i);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Background<Void> worker : workers) {
            worker.result(scaled(60_000));
        }
        assertThat(violations).isEmpty();
        assertThat(counter.value()).isEqualTo(THREADS * rounds);
        synchronized (tokens) {
            for (int i = 1; i < tokens.size(); i++) {
                assertThat(tokens.get(i))
                        .as("fencing token of acquisition %d (tokens in acquisition order: %s)", i, tokens)
                        .isGreaterThan(tokens.get(i - 1));
            }
        }
        assertFree(manager, resource);
    }

    @Test
    void M1_fuzzedOperationsNeverLetTwoClientsHoldOneResource() {
        long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
        LockManager manager = manager();
        List<String> resources = List.of(resource(), resource(), resource());
        Map<String, AtomicReference<String>> inside = new ConcurrentHashMap<>();
        Map<String, AtomicLong> lastWorkerToken = new ConcurrentHashMap<>();
        Map<String, Queue<Long>> allTokens = new ConcurrentHashMap<>();
        for (String resource : resources) {
            inside.put(resource, new AtomicReference<>());
            lastWorkerToken.put(resource, new AtomicLong(Long.MIN_VALUE));
            allTokens.put(resource, new ConcurrentLinkedQueue<>());
        }
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicInteger acquisitions = new AtomicInteger();
        long end = System.nanoTime() + scaled(2_000).toNanos();
        CountDownLatch start = new CountDownLatch(1);
        List<Background<Void>> threads = new ArrayList<>();

        for (int t = 0; t < 6; t++) {
            SplittableRandom random = new SplittableRandom(seed + t);
            String client = client("fuzz" + t + "-");
            threads.add(inBackground(client, () -> {
                start.await();
                while (System.nanoTime() < end) {
                    String resource = resources.get(random.nextInt(resources.size()));
                    int op = random.nextInt(10);
                    long waitMillis = random.nextInt(40);
                    if (op < 4) {
                        if (manager.lock(resource, client, waitMillis)) {
                            long token = manager.inspect(resource)
                                    .filter(info -> info.clientId().equals(client))
                                    .map(LockInfo::fencingToken)
                                    .orElse(Long.MIN_VALUE);
                            holdBriefly(manager, resource, client, token, random, inside, lastWorkerToken, violations);
                            allTokens.get(resource).add(token);
                            acquisitions.incrementAndGet();
                            if (!manager.unlock(resource, client)) {
                                violations.add(client + " could not unlock its live lock on " + resource);
                            }
                        }
                    } else if (op < 7) {
                        Optional<Lease> lease =
                                manager.tryAcquire(resource, client, Duration.ofMillis(waitMillis), longLease());
                        if (lease.isPresent()) {
                            long token = lease.get().fencingToken();
                            holdBriefly(manager, resource, client, token, random, inside, lastWorkerToken, violations);
                            allTokens.get(resource).add(token);
                            acquisitions.incrementAndGet();
                            if (!lease.get().release()) {
                                violations.add(client + " could not release its live lease on " + resource);
                            }
                        }
                    } else if (op == 7) {
                        manager.inspect(resource);
                    } else if (op == 8 && manager.heartbeat(resource, client)) {
                        violations.add(client + " renewed " + resource + " which it did not hold");
                    } else if (op == 9 && manager.unlock(resource, client)) {
                        violations.add(client + " released " + resource + " which it did not hold");
                    }
                }
                return null;
            }));
        }
        // Takes short leases and abandons them, so expiry races with waiting workers.
        SplittableRandom abandonRandom = new SplittableRandom(seed - 1);
        AtomicInteger abandoned = new AtomicInteger();
        threads.add(inBackground("abandoner", () -> {
            start.await();
            while (System.nanoTime() < end) {
                String resource = resources.get(abandonRandom.nextInt(resources.size()));
                Duration lease = scaled(20 + abandonRandom.nextInt(80));
                manager.tryAcquire(resource, client("abandoner"), Duration.ZERO, lease)
                        .ifPresent(held -> {
                            allTokens.get(resource).add(held.fencingToken());
                            abandoned.incrementAndGet();
                        });
                TimeUnit.MILLISECONDS.sleep(abandonRandom.nextInt(1, 60));
            }
            return null;
        }));
        start.countDown();
        for (Background<Void> thread : threads) {
            Throwable failure = null;
            try {
                thread.result(scaled(2_000).plus(scaled(30_000)));
            } catch (AssertionError e) {
                failure = e;
            }
            assertThat(failure)
                    .as("fuzz thread %s failed (seed %d)", thread.name(), seed)
                    .isNull();
        }
        assertThat(violations)
                .as("M1 violations (replay with -D%s=%d)", SEED_PROPERTY, seed)
                .isEmpty();
        for (String resource : resources) {
            List<Long> tokens = new ArrayList<>(allTokens.get(resource));
            assertThat(tokens)
                    .as("fencing tokens of %s must never repeat (seed %d)", resource, seed)
                    .doesNotHaveDuplicates();
        }
        assertThat(acquisitions.get())
                .as("workers' acquisitions in the fuzz run (seed %d)", seed)
                .isPositive();
    }

    /** One critical section of the fuzz run, with its checks. */
    private static void holdBriefly(
            LockManager manager,
            String resource,
            String client,
            long token,
            SplittableRandom random,
            Map<String, AtomicReference<String>> inside,
            Map<String, AtomicLong> lastWorkerToken,
            Queue<String> violations) {
        AtomicReference<String> marker = inside.get(resource);
        if (!marker.compareAndSet(null, client)) {
            violations.add(client + " got " + resource + " while " + marker.get() + " held it");
            return;
        }
        try {
            if (token == Long.MIN_VALUE) {
                violations.add(client + " holds " + resource + " but inspect does not show it");
            }
            long previous = lastWorkerToken.get(resource).getAndSet(token);
            if (token <= previous) {
                violations.add(client + " got token " + token + " on " + resource + " after " + previous);
            }
            if (random.nextInt(4) == 0 && !manager.heartbeat(resource, client)) {
                violations.add(client + " could not heartbeat its live lock on " + resource);
            }
            for (int spin = random.nextInt(50); spin > 0; spin--) {
                Thread.onSpinWait();
            }
        } finally {
            marker.compareAndSet(client, null);
        }
    }

    @Test
    void M2_manyThreadsOnManyResourcesKeepEveryCountExact() {
        LockManager manager = manager();
        int resourceCount = 16;
        int rounds = 40;
        List<String> resources = new ArrayList<>();
        AtomicReferenceArray<NonAtomicCounter> counters = new AtomicReferenceArray<>(resourceCount);
        for (int i = 0; i < resourceCount; i++) {
            resources.add(resource());
            counters.set(i, new NonAtomicCounter());
        }
        int[][] tallies = new int[THREADS][resourceCount];
        CountDownLatch start = new CountDownLatch(1);
        List<Background<Void>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int worker = t;
            String client = client("worker" + t + "-");
            SplittableRandom random = new SplittableRandom(t);
            workers.add(inBackground(client, () -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    int index = random.nextInt(resourceCount);
                    String resource = resources.get(index);
                    if (!manager.lock(resource, client, scaled(30_000).toMillis())) {
                        throw new AssertionError(client + " timed out on " + resource);
                    }
                    counters.get(index).increment();
                    tallies[worker][index]++;
                    manager.inspect(resources.get(random.nextInt(resourceCount)));
                    if (!manager.unlock(resource, client)) {
                        throw new AssertionError(client + " could not unlock " + resource);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Background<Void> worker : workers) {
            worker.result(scaled(60_000));
        }
        for (int i = 0; i < resourceCount; i++) {
            int expected = 0;
            for (int[] tally : tallies) {
                expected += tally[i];
            }
            assertThat(counters.get(i).value()).as("count of resource %d", i).isEqualTo(expected);
            assertFree(manager, resources.get(i));
        }
    }

    @Test
    void M2_concurrentTryOnceCallsHaveExactlyOneWinner() {
        LockManager manager = manager();
        int rounds = 20;
        List<String> resources = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            resources.add(resource());
        }
        AtomicInteger[] winners = new AtomicInteger[rounds];
        for (int i = 0; i < rounds; i++) {
            winners[i] = new AtomicInteger();
        }
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        long barrierWait = scaled(30_000).toMillis();
        List<Background<Void>> racers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            String client = client("racer" + t + "-");
            racers.add(inBackground(client, () -> {
                for (int round = 0; round < rounds; round++) {
                    barrier.await(barrierWait, TimeUnit.MILLISECONDS);
                    if (manager.lock(resources.get(round), client, 0)) {
                        winners[round].incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Background<Void> racer : racers) {
            racer.result(scaled(60_000));
        }
        for (int round = 0; round < rounds; round++) {
            assertThat(winners[round].get()).as("winners of round %d", round).isEqualTo(1);
        }
    }

    /**
     * A counter whose increment is a separate read and write, so two threads inside at once lose
     * an update. Volatile only so that the final read sees the last write without relying on the
     * backend's memory effects.
     */
    private static final class NonAtomicCounter {
        private volatile int value;

        void increment() {
            int read = value;
            Thread.onSpinWait();
            Thread.yield();
            value = read + 1;
        }

        int value() {
            return value;
        }
    }
}
