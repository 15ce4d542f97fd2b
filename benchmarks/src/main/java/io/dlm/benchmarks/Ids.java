package io.dlm.benchmarks;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Identifiers made before a measurement starts, so that no measured loop builds a string. */
final class Ids {

    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private Ids() {}

    /**
     * A client id unique within this JVM, one per benchmark thread.
     *
     * @return {@code client-1}, {@code client-2}, ...
     */
    static String nextClient() {
        return "client-" + CLIENTS.incrementAndGet();
    }

    /**
     * Distinct resource ids with a common prefix.
     *
     * @param prefix the prefix, e.g. {@code resource-}
     * @param count how many
     * @return {@code prefix0} to {@code prefix(count - 1)}
     */
    static String[] resources(String prefix, int count) {
        String[] ids = new String[count];
        for (int i = 0; i < count; i++) {
            ids[i] = prefix + i;
        }
        return ids;
    }

    /**
     * A sequence to walk with a masked counter: {@code length} slots (a power of two) over
     * {@code distinct} keys, each key about equally often, in a fixed shuffled order.
     *
     * @param distinct how many different keys the sequence holds
     * @param length the sequence length, a power of two
     * @return the sequence; with {@code distinct == 1} every slot is the same key
     */
    static String[] sequence(int distinct, int length) {
        if (Integer.bitCount(length) != 1) {
            throw new IllegalArgumentException("length must be a power of two: " + length);
        }
        String[] keys = resources("resource-", distinct);
        String[] sequence = new String[length];
        for (int i = 0; i < length; i++) {
            sequence[i] = keys[i % distinct];
        }
        Random random = new Random(42);
        for (int i = length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            String swap = sequence[i];
            sequence[i] = sequence[j];
            sequence[j] = swap;
        }
        return sequence;
    }
}
