package io.dlm.tck.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One direction of one proxied connection: a reader that takes chunks off the source socket as fast
 * as they come, and a writer that hands each chunk to the destination socket at its due time, in
 * the order read.
 */
final class Pipe {

    private static final int READ_BUFFER_BYTES = 64 * 1024;

    // Bounds the memory of a pipe whose destination reads slower than its source writes: the reader
    // then waits, as TCP's own flow control would make the source wait.
    private static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;

    /** A piece of the byte stream, or the end of the stream when {@code data} is null. */
    private record Chunk(byte @Nullable [] data, long dueNanos) {}

    private final Socket source;
    private final Socket destination;
    private final LongSupplier latencyNanos;
    private final PendingChunks pending;
    private final Connection connection;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean blackholed;
    private boolean held;
    private boolean stopped;
    /** Bytes still to pass before every later one is dropped, or {@link #UNCUT}. Under {@link #lock}. */
    private long cutBudget = UNCUT;

    private static final long UNCUT = -1;

    Pipe(Socket source, Socket destination, LongSupplier latencyNanos, PendingChunks pending, Connection connection) {
        this.source = source;
        this.destination = destination;
        this.latencyNanos = latencyNanos;
        this.pending = pending;
        this.connection = connection;
    }

    /** Drops every byte from now on, queued ones included, and never again delivers any. */
    void blackhole() {
        lock.lock();
        try {
            blackholed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Passes {@code bytes} more bytes read from now on, then drops every later one, the end of the
     * stream included; bytes already queued are still delivered. A link that dies in the middle of
     * a message: the destination gets its beginning and then silence.
     */
    void cutAfter(long bytes) {
        lock.lock();
        try {
            // A later cut can only come sooner: bytes once dropped never flow again.
            cutBudget = cutBudget == UNCUT ? bytes : Math.min(cutBudget, bytes);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Holds every byte from now on, queued ones included, in order and without loss, until {@link
     * #release()}: a partition that heals before TCP gives up delivers its backlog late.
     */
    void hold() {
        lock.lock();
        try {
            held = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Delivers what was held, in order, and lets bytes flow again. */
    void release() {
        lock.lock();
        try {
            held = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether news from the source (bytes, an end or a failure) no longer reaches the destination. */
    boolean isSilenced() {
        lock.lock();
        try {
            return blackholed || cutBudget != UNCUT;
        } finally {
            lock.unlock();
        }
    }

    /** Ends delivery for good: the writer drops what is queued and returns, the reader drops. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Runs the reader until the source ends or fails. */
    void read() {
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        InputStream in;
        try {
            in = source.getInputStream();
        } catch (IOException e) {
            connection.broken(source);
            return;
        }
        while (true) {
            int read;
            try {
                read = in.read(buffer);
            } catch (IOException e) {
                connection.broken(source);
                return;
            }
            if (read < 0) {
                // A black-holed pipe loses the FIN like any other segment: the destination never
                // learns that the source closed.
                enqueue(null);
                return;
            }
            enqueue(Arrays.copyOf(buffer, read));
        }
    }

    /** Runs the writer until the end of the stream is delivered or the pipe stops or goes dead. */
    void write() {
        OutputStream out;
        try {
            out = destination.getOutputStream();
        } catch (IOException e) {
            connection.broken(destination);
            dropAll();
            return;
        }
        while (true) {
            Chunk chunk = takeDue();
            if (chunk == null) {
                return;
            }
            byte[] data = chunk.data();
            boolean delivered = false;
            try {
                if (data == null) {
                    destination.shutdownOutput();
                } else {
                    out.write(data);
                }
                delivered = true;
            } catch (IOException e) {
                // broken() stops this pipe, so the next take drops the rest and returns.
                connection.broken(destination);
            } finally {
                pending.removed(1);
            }
            if (data == null && delivered) {
                connection.finished(this);
                return;
            }
        }
    }

    private void enqueue(byte @Nullable [] data) {
        lock.lock();
        try {
            while (!blackholed && !stopped && queuedBytes >= MAX_QUEUED_BYTES) {
                changed.awaitUninterruptibly();
            }
            if (blackholed || stopped) {
                return;
            }
            if (cutBudget != UNCUT) {
                if (data == null || cutBudget == 0) {
                    cutBudget = 0;
                    return;
                }
                if (data.length > cutBudget) {
                    data = Arrays.copyOf(data, (int) cutBudget);
                }
                cutBudget -= data.length;
            }
            queue.addLast(new Chunk(data, System.nanoTime() + latencyNanos.getAsLong()));
            queuedBytes += data == null ? 0 : data.length;
            pending.added();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private @Nullable Chunk takeDue() {
        lock.lock();
        try {
            while (true) {
                if (blackholed || stopped) {
                    dropQueued();
                    return null;
                }
                Chunk head = queue.peekFirst();
                if (head == null || held) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                long wait = head.dueNanos() - System.nanoTime();
                if (wait <= 0) {
                    queue.removeFirst();
                    byte[] data = head.data();
                    queuedBytes -= data == null ? 0 : data.length;
                    changed.signalAll();
                    return head;
                }
                // Sleeps until the head is due, or until a state change wakes it. Only the head is
                // ever taken: a chunk read after a latency cut, due earlier than the head, waits
                // behind it, so none overtakes another.
                awaitNanosUninterruptibly(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    private void dropAll() {
        lock.lock();
        try {
            stopped = true;
            dropQueued();
        } finally {
            lock.unlock();
        }
    }

    // Called with lock held.
    private void dropQueued() {
        int dropped = queue.size();
        queue.clear();
        queuedBytes = 0;
        if (dropped > 0) {
            pending.removed(dropped);
        }
        changed.signalAll();
    }

    // Called with lock held. The proxy's threads are its own and are never interrupted to stop them
    // (stop() does that), so a stray interrupt only ends this wait early: the caller's loop then
    // waits again for what is left. Keeping the interrupt set would make every later wait return
    // at once and the writer spin.
    private void awaitNanosUninterruptibly(long nanos) {
        try {
            changed.awaitNanos(nanos);
        } catch (InterruptedException e) {
            // Deliberately cleared, see above.
        }
    }
}
