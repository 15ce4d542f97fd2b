package io.dlm.impl.memory;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Issues fencing tokens (F1) from striped counters rather than one contended counter.
 *
 * <p>The counters are shared by every in-memory lock space of the JVM, so that a new holding can
 * draw its token without a reference to its backend; a lock space's tokens then start wherever the
 * counters stand, which F1 allows (it asks only that they increase).
 *
 * <p>A resource always maps to the same stripe and a stripe only counts up, so the tokens of one
 * resource strictly increase, provided a token is drawn while the acquisition holds its map bin
 * (the caller's duty). Tokens of different resources are unrelated, which F1 allows.
 */
final class FencingSequence {

    private static final int STRIPES = 64;
    // Eight longs apart, so that two stripes never share a 64-byte cache line.
    private static final int SPACING = 8;

    private static final AtomicLongArray COUNTERS = new AtomicLongArray(STRIPES * SPACING);

    private FencingSequence() {}

    /**
     * Draws the next token for a resource.
     *
     * @param resourceId the resource being acquired
     * @return a token greater than every earlier one of this resource
     */
    static long next(String resourceId) {
        int h = resourceId.hashCode();
        int stripe = (h ^ (h >>> 16)) & (STRIPES - 1);
        return COUNTERS.incrementAndGet(stripe * SPACING);
    }
}
