package io.dlm.impl.memory;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Issues fencing tokens (F1) from striped counters rather than one contended counter.
 *
 * <p>Each backend has its own: two in-memory lock spaces share nothing (C1), not even a counter
 * that would let one see the other's traffic or contend with it.
 *
 * <p>A resource always maps to the same stripe and a stripe only counts up, so the tokens of one
 * resource strictly increase, provided a token is drawn while the acquisition holds its map bin
 * (the caller's duty). Tokens of different resources are unrelated, which F1 allows.
 */
final class FencingSequence {

    private static final int STRIPES = 64;
    // Eight longs apart, so that two stripes never share a 64-byte cache line.
    private static final int SPACING = 8;

    private final AtomicLongArray counters = new AtomicLongArray(STRIPES * SPACING);

    /**
     * Draws the next token for a resource.
     *
     * @param resourceId the resource being acquired
     * @return a token greater than every earlier one of this resource
     */
    long next(String resourceId) {
        int h = resourceId.hashCode();
        int stripe = (h ^ (h >>> 16)) & (STRIPES - 1);
        return counters.incrementAndGet(stripe * SPACING);
    }
}
