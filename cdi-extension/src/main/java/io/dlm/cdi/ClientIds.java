package io.dlm.cdi;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client ids for intercepted calls: each invocation is its own client (D2). A random prefix per
 * JVM keeps ids unique across processes; a counter keeps them unique within one, at the cost of
 * one atomic increment instead of a random id per call.
 *
 * <p>The prefix carries 128 random bits in 22 URL-safe Base64 characters, more than a UUID's 122 in
 * 36; a shorter id is cheaper to build, check (V1), hash and compare on every call.
 */
final class ClientIds {

    private static final String PREFIX = "dlm-cdi-" + randomPart() + "-";
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

    private static String randomPart() {
        byte[] bits = new byte[16];
        new SecureRandom().nextBytes(bits);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }
}
