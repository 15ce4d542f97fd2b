package io.dlm.impl.selftest.toy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.Renewal;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The {@code toy} backend: each SPI call is one request to a {@link ToyLockServer}. Connections
 * come from a small pool; a connection whose call failed or timed out is closed, never reused, for
 * its reply may still come. Every I/O failure or timeout, within {@code dlm.operation.timeout}
 * from the start of the call, is a {@code LockException(INTERNAL_ERROR)} with the cause (X1).
 *
 * <p>Neither watching nor in-process: the runtime polls a waited-for resource with jittered
 * backoff (L4). It renews many leases in one request ({@code renewall}), so the runtime keeps a
 * thousand leases alive through it on a slow connection (N7). With {@code
 * dlm.toy.flaw=held-during-partition} a renewal that could not reach the engine answers {@code
 * true}, like a backend that keeps saying "held" during a partition. With {@code
 * dlm.toy.flaw=timeout-per-round-trip} an acquisition looks at the resource first, in a round trip
 * with a whole operation timeout of its own, like a backend that bounds each of its requests but
 * not the call (X1).
 */
final class ToyLockBackend implements BatchRenewingLockBackend {

    private final InetSocketAddress address;
    private final long timeoutNanos;
    private final boolean heldDuringPartition;
    private final boolean timeoutPerRoundTrip;
    /** Idle connections, most recently used first, so that only as many stay open as are busy at once. */
    private final ConcurrentLinkedDeque<ToyConnection> idle = new ConcurrentLinkedDeque<>();
    /** Every open connection, idle or busy, for close(). */
    private final Set<ToyConnection> open = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;

    ToyLockBackend(
            InetSocketAddress address,
            Duration operationTimeout,
            boolean heldDuringPartition,
            boolean timeoutPerRoundTrip) {
        this.address = address;
        this.timeoutNanos = operationTimeout.toNanos();
        this.heldDuringPartition = heldDuringPartition;
        this.timeoutPerRoundTrip = timeoutPerRoundTrip;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        if (timeoutPerRoundTrip) {
            call("inspect", resourceId); // the planted flaw: a second round trip with a deadline of its own
        }
        String[] reply = call("acquire", resourceId, clientId, Long.toString(leaseNanos), Long.toString(attempt));
        if (reply.length == 2) {
            long value = number(reply[1], reply);
            switch (reply[0]) {
                case "acquired":
                    return Acquisition.acquired(value);
                case "held":
                    return Acquisition.held(value);
                case "own":
                    return Acquisition.heldByCaller(value);
                default:
                    break;
            }
        }
        throw unexpected(reply);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        return truth(call("release", resourceId, clientId, Long.toString(fencingToken)));
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        try {
            return truth(call("renew", resourceId, clientId, Long.toString(fencingToken)));
        } catch (LockException e) {
            if (heldDuringPartition && e.getCause() instanceof IOException) {
                return true; // the planted flaw: no answer is taken for "still held"
            }
            throw e;
        }
    }

    /** {@inheritDoc} One {@code renewall} request, answered with one digit per lease. */
    @Override
    public boolean[] renewAll(List<Renewal> renewals) {
        StringBuilder request = new StringBuilder("renewall");
        for (Renewal renewal : renewals) {
            request.append(' ')
                    .append(ToyWire.encode(renewal.resourceId()))
                    .append(' ')
                    .append(ToyWire.encode(renewal.clientId()))
                    .append(' ')
                    .append(renewal.fencingToken());
        }
        boolean[] renewed = new boolean[renewals.size()];
        String[] reply;
        try {
            reply = send("renewall", renewals.size() + " leases", request.toString());
        } catch (LockException e) {
            if (heldDuringPartition && e.getCause() instanceof IOException) {
                java.util.Arrays.fill(renewed, true); // the planted flaw, as in renew()
                return renewed;
            }
            throw e;
        }
        if (reply.length != 2 || !reply[0].equals("renewed") || reply[1].length() != renewed.length) {
            throw unexpected(reply);
        }
        for (int i = 0; i < renewed.length; i++) {
            char answer = reply[1].charAt(i);
            if (answer != '0' && answer != '1') {
                throw unexpected(reply);
            }
            renewed[i] = answer == '1';
        }
        return renewed;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The engine remembers undone attempts and refuses them if they arrive later, so the undo
     * holds even when it overtakes its acquisition on another connection.
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        try {
            call("undo", resourceId, clientId, Long.toString(attempt));
        } catch (RuntimeException e) {
            // Best effort (X5): what the engine never hears of expires by its lease.
        }
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        String[] reply = call("inspect", resourceId);
        if (reply.length == 1 && reply[0].equals("free")) {
            return Optional.empty();
        }
        if (reply.length == 4 && reply[0].equals("holder")) {
            String holder;
            try {
                holder = ToyWire.decode(reply[1]);
            } catch (IllegalArgumentException e) {
                throw unexpected(reply);
            }
            return Optional.of(new LockInfo(
                    resourceId, holder, number(reply[2], reply), Duration.ofNanos(number(reply[3], reply))));
        }
        throw unexpected(reply);
    }

    /** Closes every connection; a call still in flight fails with {@code INTERNAL_ERROR}. */
    @Override
    public void close() {
        closed = true;
        for (ToyConnection connection : open) {
            discard(connection);
        }
    }

    private String[] call(String command, String resourceId, String... more) {
        StringBuilder request = new StringBuilder(command).append(' ').append(ToyWire.encode(resourceId));
        for (int i = 0; i < more.length; i++) {
            // The client id comes first; the rest are numbers.
            request.append(' ').append(i == 0 ? ToyWire.encode(more[i]) : more[i]);
        }
        return send(command, "'" + resourceId + "'", request.toString());
    }

    private String[] send(String command, String about, String request) {
        long deadline = System.nanoTime() + timeoutNanos;
        ToyConnection connection = null;
        String reply;
        try {
            connection = borrow(deadline);
            reply = connection.call(request, deadline);
        } catch (IOException e) {
            if (connection != null) {
                discard(connection);
            }
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "toy engine at " + address + " failed on " + command + " of " + about + ": " + e,
                    e);
        }
        giveBack(connection);
        if (reply.startsWith("error")) {
            throw new LockException(LockError.INTERNAL_ERROR, "toy engine refused " + command + ": " + reply);
        }
        return reply.split(" ", -1);
    }

    private ToyConnection borrow(long deadline) throws IOException {
        if (closed) {
            throw new LockException(LockError.INTERNAL_ERROR, "the toy backend is closed");
        }
        for (ToyConnection connection = idle.pollFirst(); connection != null; connection = idle.pollFirst()) {
            if (!connection.isClosedByPeer()) {
                return connection;
            }
            discard(connection);
        }
        ToyConnection connection = ToyConnection.open(address, deadline);
        open.add(connection);
        if (closed) {
            // close() may have swept the set before this connection joined it.
            discard(connection);
            throw new LockException(LockError.INTERNAL_ERROR, "the toy backend is closed");
        }
        return connection;
    }

    private void giveBack(ToyConnection connection) {
        idle.offerFirst(connection);
        if (closed) {
            discard(connection);
        }
    }

    private void discard(ToyConnection connection) {
        open.remove(connection);
        idle.remove(connection);
        connection.close();
    }

    private static boolean truth(String[] reply) {
        if (reply.length == 1 && (reply[0].equals("true") || reply[0].equals("false"))) {
            return reply[0].equals("true");
        }
        throw unexpected(reply);
    }

    private static long number(String field, String[] reply) {
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            throw unexpected(reply);
        }
    }

    private static LockException unexpected(String[] reply) {
        return new LockException(
                LockError.INTERNAL_ERROR, "unexpected reply from the toy engine: " + String.join(" ", reply));
    }
}
