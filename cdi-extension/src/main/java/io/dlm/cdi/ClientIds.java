package io.dlm.cdi;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client ids for intercepted calls: each invocation is its own client (D2). A random prefix per
 * JVM keeps ids unique across processes; a counter keeps them unique within one, at the cost of
 * one atomic increment instead of a {@link UUID} per call.
 */
final class ClientIds {

    private static final String PREFIX = "dlm-cdi-" + UUID.randomUUID() + "-";
    private static final AtomicLong NEXT = new AtomicLong();

    private ClientIds() {}

    /**
     * A client id no other invocation, here or in another JVM, has used.
     *
     * @return the new id
     */
    static String next() {
        return PREFIX + NEXT.incrementAndGet();
    }
}
