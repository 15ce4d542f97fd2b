package io.dlm.cdi;

import io.dlm.interceptor.DistributedLock;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.temporal.ChronoUnit;

/** Beans whose annotations must fail the deployment (D5). */
final class InvalidBeans {

    private InvalidBeans() {}

    @ApplicationScoped
    static class OrderService {
        @DistributedLock(resource = "order", timeout = -5)
        void ship() {}

        @DistributedLock(resource = "order-{orderId}")
        void cancel(String id) {}

        @DistributedLock(resource = "order-{2}")
        void refund(String id) {}

        @DistributedLock(resource = "order-{order.nope}")
        void track(Beans.Order order) {}

        @DistributedLock(resource = "order", lease = 0)
        void archive() {}

        @DistributedLock(resource = "order-{id")
        void malformed(String id) {}

        @DistributedLock(resource = "order", timeout = 1, unit = ChronoUnit.MONTHS)
        void monthly() {}
    }

    @ApplicationScoped
    static class ShortLease {
        @DistributedLock(resource = "short", lease = 100)
        void run() {}
    }

    @ApplicationScoped
    static class EqualLease {
        @DistributedLock(resource = "equal", lease = 1, unit = ChronoUnit.SECONDS)
        void run() {}
    }

    @ApplicationScoped
    static class Valid {
        @DistributedLock(resource = "valid", lease = 5, unit = ChronoUnit.SECONDS)
        void run() {}
    }
}
