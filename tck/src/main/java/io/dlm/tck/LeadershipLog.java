package io.dlm.tck;

import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link LeadershipListener} that writes down what it is told, in order, and notices calls that
 * overlap or come out of order (S3): for the leadership rules.
 */
final class LeadershipLog implements LeadershipListener {

    /** One call the listener received. */
    record Entry(boolean elected, long fencingToken, LockException cause, long atNanos) {}

    private final List<Entry> entries = new ArrayList<>();
    private final AtomicInteger inside = new AtomicInteger();
    private final List<String> problems = new ArrayList<>();

    @Override
    public void elected(Lease lease) {
        enter("elected");
        try {
            synchronized (entries) {
                if (!entries.isEmpty() && entries.get(entries.size() - 1).elected()) {
                    problems.add("elected twice without a revoked between");
                }
                entries.add(new Entry(true, lease.fencingToken(), null, System.nanoTime()));
            }
        } finally {
            inside.decrementAndGet();
        }
    }

    @Override
    public void revoked(LockException cause) {
        enter("revoked");
        try {
            synchronized (entries) {
                if (entries.isEmpty() || !entries.get(entries.size() - 1).elected()) {
                    problems.add("revoked without being elected");
                }
                entries.add(new Entry(false, 0, cause, System.nanoTime()));
            }
        } finally {
            inside.decrementAndGet();
        }
    }

    private void enter(String call) {
        if (inside.incrementAndGet() != 1) {
            synchronized (entries) {
                problems.add(call + " overlapped another call");
            }
        }
    }

    /** What the listener was told, in order. */
    List<Entry> entries() {
        synchronized (entries) {
            return List.copyOf(entries);
        }
    }

    /** The tokens of its elections, in order. */
    List<Long> electedTokens() {
        return entries().stream()
                .filter(Entry::elected)
                .map(Entry::fencingToken)
                .toList();
    }

    long elections() {
        return entries().stream().filter(Entry::elected).count();
    }

    long revocations() {
        return entries().stream().filter(entry -> !entry.elected()).count();
    }

    /** Whether the last call was {@code elected}: the campaigner believes it leads. */
    boolean leadsByItsCalls() {
        List<Entry> all = entries();
        return !all.isEmpty() && all.get(all.size() - 1).elected();
    }

    /** Calls that overlapped or came out of order; empty when S3's ordering held. */
    List<String> problems() {
        synchronized (entries) {
            return new ArrayList<>(problems);
        }
    }
}
