package io.dlm.impl.selftest.toy;

import io.dlm.spi.Durations;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The toy engine's state and commands, apart from its sockets: one mutex guards everything, so each
 * command is atomic. Leases expire by this process's {@link System#nanoTime()} (E2, E3); fencing
 * tokens come from one counter for all resources, so they only grow (F1).
 *
 * <p>Commands, one line each, ids in {@link ToyWire} form, answered by one line:
 *
 * <pre>
 * acquire RESOURCE CLIENT LEASE_NANOS ATTEMPT -> acquired TOKEN | held REMAINING_NANOS | own REMAINING_NANOS | undone
 * release RESOURCE CLIENT TOKEN               -> true | false      (TOKEN 0: whichever the client holds)
 * renew   RESOURCE CLIENT TOKEN               -> true | false      (resets the expiry to now + its lease)
 * renewall (RESOURCE CLIENT TOKEN)+           -> renewed DIGITS    (one renew each; 1 renewed, 0 refused)
 * undo    RESOURCE CLIENT ATTEMPT             -> done
 * inspect RESOURCE                            -> holder CLIENT TOKEN REMAINING_NANOS | free
 * anything wrong                              -> error MESSAGE
 * </pre>
 */
final class ToyLockSpace {

    /** How many undone attempts are remembered; attempts arrive late by seconds at most. */
    private static final int UNDONE_REMEMBERED = 100_000;

    /** A lease, live or expired. Guarded by the space's mutex. */
    private static final class Lease {
        final String client;
        final long token;
        final long attempt;
        final long leaseNanos;
        long renewedAt;
        long deadline;

        Lease(String client, long token, long attempt, long leaseNanos, long now) {
            this.client = client;
            this.token = token;
            this.attempt = attempt;
            this.leaseNanos = leaseNanos;
            renew(now);
        }

        void renew(long now) {
            renewedAt = now;
            deadline = Durations.saturatedAdd(now, leaseNanos);
        }

        /** A renewal by the flawed engine: the lease taken as milliseconds a thousand times too many. */
        void renewInWrongUnit(long now) {
            renewedAt = now;
            deadline = Durations.saturatedAdd(
                    now, leaseNanos > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : leaseNanos * 1000);
        }

        boolean isLive(long now) {
            return now - deadline < 0;
        }

        boolean isOf(String client, long token) {
            return this.client.equals(client) && (token == 0 || token == this.token);
        }
    }

    private final ToyFlaw flaw;
    private final Map<String, Lease> leases = new HashMap<>();
    private final Set<Long> undone = new HashSet<>();
    private final ArrayDeque<Long> undoneInOrder = new ArrayDeque<>();
    private long lastToken;

    ToyLockSpace(ToyFlaw flaw) {
        this.flaw = flaw;
    }

    /** Answers one request line. */
    synchronized String answer(String line) {
        String[] fields = line.split(" ", -1);
        try {
            return switch (fields[0]) {
                case "acquire" -> acquire(id(fields, 1, 5), id(fields, 2, 5), number(fields, 3), number(fields, 4));
                case "release" -> Boolean.toString(release(id(fields, 1, 4), id(fields, 2, 4), number(fields, 3)));
                case "renew" -> Boolean.toString(renew(id(fields, 1, 4), id(fields, 2, 4), number(fields, 3)));
                case "renewall" -> renewAll(fields);
                case "undo" -> undo(id(fields, 1, 4), id(fields, 2, 4), number(fields, 3));
                case "inspect" -> inspect(id(fields, 1, 2));
                default -> "error unknown command";
            };
        } catch (IllegalArgumentException e) {
            return "error malformed request";
        }
    }

    /** A restart keeps leases (a durable engine); the flaw forgets the last token. */
    synchronized void restarted() {
        if (flaw == ToyFlaw.TOKENS_RESET_ON_RESTART) {
            lastToken = 0;
        }
    }

    private String acquire(String resource, String client, long leaseNanos, long attempt) {
        if (leaseNanos <= 0) {
            return "error lease must be positive";
        }
        if (undone.contains(attempt)) {
            // The client gave up on this attempt and undid it before it got here (X5).
            return "undone";
        }
        long now = System.nanoTime();
        Lease current = leases.get(resource);
        if (current != null && blocks(current, now)) {
            long remaining = Math.max(1, blockedUntil(current) - now);
            return (current.client.equals(client) ? "own " : "held ") + remaining;
        }
        Lease granted = new Lease(client, ++lastToken, attempt, leaseNanos, now);
        leases.put(resource, granted);
        return "acquired " + granted.token;
    }

    private boolean blocks(Lease current, long now) {
        return now - blockedUntil(current) < 0;
    }

    /**
     * Until when a lease keeps others out, as the engine believes. The early-granting engine tells
     * waiters its own early end too, as an engine whose expiry runs ahead would: they come back
     * then, so the fault tier sees the early grant every time, not only when a waiter's backoff
     * happens to land in the window.
     */
    private long blockedUntil(Lease current) {
        if (flaw == ToyFlaw.EARLY_GRANT) {
            return current.renewedAt + (long) (current.leaseNanos * 0.6);
        }
        return current.deadline;
    }

    private boolean release(String resource, String client, long token) {
        Lease current = leases.get(resource);
        if (current == null || !current.isLive(System.nanoTime()) || !current.isOf(client, token)) {
            return false;
        }
        leases.remove(resource);
        return true;
    }

    private boolean renew(String resource, String client, long token) {
        long now = System.nanoTime();
        Lease current = leases.get(resource);
        if (current == null || !current.isLive(now) || !current.isOf(client, token)) {
            return false;
        }
        if (flaw == ToyFlaw.RENEWAL_IN_WRONG_UNIT) {
            current.renewInWrongUnit(now);
        } else {
            current.renew(now);
        }
        return true;
    }

    private String renewAll(String[] fields) {
        int count = (fields.length - 1) / 3;
        if (count == 0 || fields.length != 1 + 3 * count) {
            throw new IllegalArgumentException("fields");
        }
        StringBuilder answers = new StringBuilder(9 + count).append("renewed ");
        for (int i = 0; i < count; i++) {
            int at = 1 + 3 * i;
            String resource = ToyWire.decode(fields[at]);
            String client = ToyWire.decode(fields[at + 1]);
            answers.append(renew(resource, client, Long.parseLong(fields[at + 2])) ? '1' : '0');
        }
        return answers.toString();
    }

    private String undo(String resource, String client, long attempt) {
        // Remembered first, so an acquisition of this attempt that is still on its way is refused.
        if (undone.add(attempt)) {
            undoneInOrder.addLast(attempt);
            if (undoneInOrder.size() > UNDONE_REMEMBERED) {
                undone.remove(undoneInOrder.removeFirst());
            }
        }
        Lease current = leases.get(resource);
        if (current != null && current.client.equals(client) && current.attempt == attempt) {
            leases.remove(resource);
        }
        return "done";
    }

    private String inspect(String resource) {
        long now = System.nanoTime();
        Lease current = leases.get(resource);
        if (current == null || !current.isLive(now)) {
            return "free";
        }
        return "holder " + ToyWire.encode(current.client) + " " + current.token + " " + (current.deadline - now);
    }

    private static String id(String[] fields, int index, int count) {
        if (fields.length != count) {
            throw new IllegalArgumentException("fields");
        }
        return ToyWire.decode(fields[index]);
    }

    private static long number(String[] fields, int index) {
        return Long.parseLong(fields[index]);
    }
}
