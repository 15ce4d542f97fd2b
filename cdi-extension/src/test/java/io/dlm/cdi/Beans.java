package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockContext;
import io.dlm.interceptor.LockEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Beans the Weld SE tests deploy. */
final class Beans {

    private Beans() {}

    /** Guards a deliberately non-atomic counter (M1 through D2). */
    @ApplicationScoped
    static class Counter {
        private int value;

        @DistributedLock(resource = "counter", timeout = 60, unit = ChronoUnit.SECONDS)
        void increment() {
            int read = value;
            Thread.yield();
            value = read + 1;
        }

        int value() {
            return value;
        }
    }

    /** An order with a getter, a record accessor and a public field along its paths. */
    record Customer(String name) {}

    static class Order {
        private final String id;
        private final Customer customer;
        public final String region;

        Order(String id, Customer customer, String region) {
            this.id = id;
            this.customer = customer;
            this.region = region;
        }

        public String getId() {
            return id;
        }

        public Customer getCustomer() {
            return customer;
        }

        public boolean isExpress() {
            return true;
        }
    }

    /** Returns the resource each template resolves to, as the method sees it in LockContext. */
    @ApplicationScoped
    static class Templates {
        @Inject
        LockContext lock;

        @DistributedLock(resource = "order-{orderId}")
        String byName(String orderId) {
            return lock.resourceId();
        }

        @DistributedLock(resource = "{1}:{0}")
        String byPosition(String first, int second) {
            return lock.resourceId();
        }

        @DistributedLock(resource = "{order.id}/{order.customer.name}/{order.region}/{order.express}")
        String byPath(Order order) {
            return lock.resourceId();
        }

        @DistributedLock
        String byDefault() {
            return lock.resourceId();
        }

        @DistributedLock(resource = "order-{orderId}")
        long token(String orderId) {
            return lock.fencingToken();
        }
    }

    /** Two beans that lock the same resource; the outer one calls the inner one (D3). */
    @ApplicationScoped
    static class Outer {
        @Inject
        Inner inner;

        @DistributedLock(resource = "shared", timeout = 1, unit = ChronoUnit.HOURS)
        void callInner() {
            inner.work();
        }

        @DistributedLock(resource = "outer-{0}", timeout = 1, unit = ChronoUnit.HOURS)
        void callOther(String id) {
            inner.other(id);
        }
    }

    @Singleton // tests read its fields; a client proxy would hide them
    static class Inner {
        final AtomicInteger calls = new AtomicInteger();

        @DistributedLock(resource = "shared", timeout = 1, unit = ChronoUnit.HOURS)
        void work() {
            calls.incrementAndGet();
        }

        @DistributedLock(resource = "inner-{0}", timeout = 1, unit = ChronoUnit.HOURS)
        void other(String id) {
            calls.incrementAndGet();
        }
    }

    /** Waits briefly for a lock that may be held (D3). */
    @Singleton // tests read its fields; a client proxy would hide them
    static class Slot {
        final AtomicInteger calls = new AtomicInteger();

        @DistributedLock(resource = "slot", timeout = 200)
        void use() {
            calls.incrementAndGet();
        }

        @DistributedLock(resource = "slot-failing")
        void fail() {
            throw new IllegalStateException("business failure");
        }
    }

    /** Blocks until released by the test; lease short enough to need heartbeats (D2, D4). */
    @Singleton // tests read its fields; a client proxy would hide them
    static class LongRunning {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch started = new CountDownLatch(1);

        @DistributedLock(resource = "long", lease = 300)
        String hold() throws InterruptedException {
            started.countDown();
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            return "done";
        }

        final CompletableFuture<String> pending = new CompletableFuture<>();

        @DistributedLock(resource = "long-async", lease = 300, interruptOnLeaseLoss = true)
        CompletionStage<String> holdAsync() {
            return pending;
        }

        @DistributedLock(resource = "long-interruptible", lease = 300, interruptOnLeaseLoss = true)
        String holdUntilInterrupted() {
            started.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
                return "not interrupted";
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }
    }

    /** Releases its own lock from inside the method, so the final release finds it gone (D4). */
    @ApplicationScoped
    static class SelfReleasing {
        @Inject
        LockContext lock;

        @Inject
        LockManager manager;

        @DistributedLock(resource = "self-releasing")
        void run() {
            manager.unlock(lock.resourceId(), lock.clientId());
        }

        @DistributedLock(resource = "self-releasing-throws")
        void runAndThrow() {
            manager.unlock(lock.resourceId(), lock.clientId());
            throw new IllegalArgumentException("business failure");
        }
    }

    /** Keeps the lock until the returned stage completes. */
    @Singleton // tests read its fields; a client proxy would hide them
    static class Async {
        final CompletableFuture<String> pending = new CompletableFuture<>();

        @DistributedLock(resource = "async")
        CompletionStage<String> start() {
            return pending;
        }

        @DistributedLock(resource = "async-failing")
        CompletableFuture<String> startFailing() {
            return CompletableFuture.failedFuture(new IllegalStateException("async failure"));
        }
    }

    /**
     * Twenty-odd calls at once that each outlive their 3 s lease, so only renewals keep them
     * holding (D2, K1). Each call locks its own resource.
     */
    @ApplicationScoped
    static class SlowWork {
        static final long LEASE_SECONDS = 3;

        @DistributedLock(resource = "slow-{0}", lease = LEASE_SECONDS, unit = ChronoUnit.SECONDS)
        String run(int id, long millis) throws InterruptedException {
            // The work itself, not a wait for a condition: the call must simply last this long.
            Thread.sleep(millis);
            return "done-" + id;
        }
    }

    /** When each lease-lost event arrived, by client id, on {@link System#nanoTime()}. */
    @Singleton // tests read its fields; a client proxy would hide them
    static class LossClock {
        final java.util.Map<String, Long> firedAt = new java.util.concurrent.ConcurrentHashMap<>();
        final List<LeaseLost> events = new CopyOnWriteArrayList<>();

        void on(@Observes LeaseLost event) {
            firedAt.putIfAbsent(event.clientId(), System.nanoTime());
            events.add(event);
        }
    }

    /** Records every lock event. */
    @ApplicationScoped
    static class EventLog {
        final List<LockEvent> events = new CopyOnWriteArrayList<>();

        void on(@Observes LockEvent event) {
            events.add(event);
        }

        <T extends LockEvent> List<T> of(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /** Settings overridden by config per method, per class and globally (D6). */
    @ApplicationScoped
    @DistributedLock(resource = "class-level", timeout = 5000)
    static class Configurable {
        @DistributedLock(resource = "method-level", timeout = 7000)
        void annotated() {}

        void inherited() {}

        @DistributedLock(resource = "untouched-{0}", timeout = 9000, lease = 20000)
        void untouched(String id) {}
    }
}
