package io.dlm.backend.zookeeper;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Names each acquisition uniquely: a random prefix drawn once per backend, then a counter. Two
 * acquisitions of one resource share a nonce only if two backends drew the same 64-bit prefix;
 * the counter keeps one backend's nonces apart without drawing randomness on the hot path.
 */
final class Nonces {

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    Nonces() {
        this.prefix = hex(new SecureRandom().nextLong());
    }

    /**
     * A fresh nonce.
     *
     * @return 32 lower-case hex digits
     */
    String next() {
        return prefix + hex(counter.incrementAndGet());
    }

    private static String hex(long value) {
        String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }
}
