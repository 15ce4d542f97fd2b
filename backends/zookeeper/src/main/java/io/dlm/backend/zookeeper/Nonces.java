package io.dlm.backend.zookeeper;

import java.security.SecureRandom;

/**
 * Names each acquisition: a random prefix drawn once per backend, then the runtime's attempt id
 * (X5). The key node of an acquisition is named by its nonce, so {@code undo} finds exactly the
 * acquisition of one attempt from the attempt id alone. Two acquisitions of one resource share a
 * nonce only if two backends drew the same 64-bit prefix and the runtime gave both the same 64-bit
 * attempt id.
 */
final class Nonces {

    private final String prefix;

    Nonces() {
        this.prefix = hex(new SecureRandom().nextLong());
    }

    /**
     * The nonce of one acquisition attempt.
     *
     * @param attempt the runtime's attempt id, any value
     * @return 32 lower-case hex digits, the same for the same attempt
     */
    String of(long attempt) {
        return prefix + hex(attempt);
    }

    private static String hex(long value) {
        String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }
}
