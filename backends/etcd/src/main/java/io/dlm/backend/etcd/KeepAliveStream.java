package io.dlm.backend.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Keep-alives of single leases, each answered on its own, over one long-lived {@code
 * LeaseKeepAlive} stream of a client's channel.
 *
 * <p>jetcd's {@code keepAliveOnce} opens a stream per keep-alive and closes it after the answer: a
 * new HTTP/2 stream with its headers on the client, and on the member a stream set up and torn
 * down, with its goroutines. An acquisition with a pooled lease sends one keep-alive with every
 * transaction, so with eight threads on two cores that per-stream work halved the pairs per second
 * (see benchmarks/README.md, "etcd backend"). Here one stream carries them all: a keep-alive is
 * one message each way.
 *
 * <p>etcd answers a keep-alive stream in order, one request after the other (the member reads a
 * request, renews the lease, sends the answer, then reads the next), so answers are matched to
 * requests first in, first out, and each answer's lease id is checked against its request's.
 * Anything unexpected (an answer for another lease, an answer with none asked, a stream that
 * ends) fails what is pending on the stream, and the next keep-alive opens a new one. A stream
 * whose oldest keep-alive has gone unanswered for an operation timeout is given up the same way,
 * so one stuck stream never holds later keep-alives; the caller's own wait is bounded by its
 * operation budget in any case, and a connection that answers nothing at all is replaced by
 * {@link ReplaceableClient}.
 *
 * <p>A lease etcd no longer knows is answered with a TTL of 0; the keep-alive then fails with
 * {@link Status#NOT_FOUND}, as jetcd's own keep-alive does ({@link
 * OperationBudget#isLeaseNotFound}).
 */
final class KeepAliveStream {

    private final CallOptionsInterceptor.Capture channel;
    private final InboundActivity inbound;
    private final Executor executor;
    private final long timeoutNanos;
    private final Object lock = new Object();

    /** The stream new keep-alives go on; guarded by {@link #lock}. */
    private @Nullable Stream current;

    /** Guarded by {@link #lock}. */
    private boolean closed;

    /**
     * Creates the sender; the stream is opened with the first keep-alive.
     *
     * @param channel the client's channel and call credentials, as its first call saw them
     * @param inbound the client's count of arrivals, which the stream's answers add to (N1)
     * @param executor where answers are delivered
     * @param operationTimeout how long a keep-alive may go unanswered before its stream is given up
     */
    KeepAliveStream(
            CallOptionsInterceptor.Capture channel,
            InboundActivity inbound,
            Executor executor,
            Duration operationTimeout) {
        this.channel = channel;
        this.inbound = inbound;
        this.executor = executor;
        this.timeoutNanos = operationTimeout.toNanos();
    }

    /**
     * Sends one keep-alive.
     *
     * @param leaseId the lease
     * @return its TTL as etcd reset it; fails with {@link Status#NOT_FOUND} when etcd no longer
     *     knows the lease, or with the stream's error; {@code null} when the client has made no
     *     call yet, so that its channel is unknown (the caller uses jetcd's keep-alive then)
     */
    @Nullable
    CompletableFuture<Long> keepAlive(long leaseId) {
        Pending pending = new Pending(leaseId, System.nanoTime());
        Stream stream;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(
                        Status.CANCELLED.withDescription("closed").asRuntimeException());
            }
            stream = current;
            if (stream != null && stream.oldestWaitedSince(pending.sentNanos) > timeoutNanos) {
                // Given up before a replacement is opened, so that whatever befalls the replacement,
                // this one is not left open with its keep-alives unanswered. Under the lock, as
                // every use of a call but request(): a ClientCall is not thread-safe, and nothing
                // may be sent on it after the cancel.
                current = null;
                stream.call.cancel("etcd left a lease keep-alive unanswered for an operation timeout", null);
                stream = null;
            }
            if (stream == null) {
                stream = open();
                if (stream == null) {
                    return null;
                }
                current = stream;
            }
            stream.pending.addLast(pending);
            try {
                stream.call.sendMessage(
                        LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
            } catch (RuntimeException e) {
                // The call ended under us: drop it; what it had pending fails when it closes.
                stream.pending.removeLast();
                current = null;
                stream.call.cancel("a lease keep-alive could not be sent on the stream", e);
                pending.answer.completeExceptionally(e);
            }
        }
        return pending.answer;
    }

    /** Ends the stream; what is pending on it fails. */
    void close() {
        synchronized (lock) {
            closed = true;
            if (current != null) {
                current.call.cancel("closed", null);
                current = null;
            }
        }
    }

    /** Opens a stream on the captured channel; called holding {@link #lock}. */
    private @Nullable Stream open() {
        // The channel first, then the credentials (see Capture.saw).
        Channel target = channel.countedBy(inbound);
        if (target == null) {
            return null;
        }
        CallOptions options = CallOptions.DEFAULT.withExecutor(executor);
        if (channel.credentials() != null) {
            options = options.withCallCredentials(channel.credentials());
        }
        // The stream serves every caller of this client, so it must not take the deadline or the
        // cancellation of the gRPC context of the one whose keep-alive happened to open it (an
        // application that is itself a gRPC service calls DLM inside its requests' contexts).
        Context previous = Context.ROOT.attach();
        try {
            ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call =
                    target.newCall(LeaseGrpc.getLeaseKeepAliveMethod(), options);
            Stream stream = new Stream(call);
            Metadata headers = new Metadata();
            // As on every other call: a member that knows it has lost its leader fails the stream at once.
            headers.put(CallOptionsInterceptor.REQUIRE_LEADER, "true");
            call.start(stream, headers);
            call.request(1);
            return stream;
        } finally {
            Context.ROOT.detach(previous);
        }
    }

    /** A keep-alive on its way. */
    private record Pending(long leaseId, long sentNanos, CompletableFuture<Long> answer) {
        Pending(long leaseId, long sentNanos) {
            this(leaseId, sentNanos, new CompletableFuture<>());
        }
    }

    /** One stream, and the keep-alives sent on it in order; its state is guarded by {@link #lock}. */
    private final class Stream extends ClientCall.Listener<LeaseKeepAliveResponse> {
        final ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call;
        final ArrayDeque<Pending> pending = new ArrayDeque<>();

        Stream(ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call) {
            this.call = call;
        }

        long oldestWaitedSince(long nowNanos) {
            Pending oldest = pending.peekFirst();
            return oldest == null ? 0 : nowNanos - oldest.sentNanos;
        }

        @Override
        public void onMessage(LeaseKeepAliveResponse message) {
            Pending answered;
            boolean mismatch;
            synchronized (lock) {
                answered = pending.pollFirst();
                mismatch = answered == null || answered.leaseId != message.getID();
                if (mismatch) {
                    // Not the answer expected: nothing on this stream can be matched any more. No
                    // keep-alive may be sent on it from now on (see keepAlive).
                    if (current == this) {
                        current = null;
                    }
                    call.cancel("etcd answered a lease keep-alive out of order", null);
                }
            }
            if (mismatch) {
                if (answered != null) {
                    answered.answer.completeExceptionally(Status.INTERNAL
                            .withDescription("etcd answered a lease keep-alive out of order")
                            .asRuntimeException());
                }
                return;
            }
            call.request(1);
            if (message.getTTL() > 0) {
                answered.answer.complete(message.getTTL());
            } else {
                answered.answer.completeExceptionally(Status.NOT_FOUND
                        .withDescription("etcdserver: requested lease not found")
                        .asRuntimeException());
            }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            List<Pending> left;
            synchronized (lock) {
                if (current == this) {
                    current = null;
                }
                left = new ArrayList<>(pending);
                pending.clear();
            }
            // Only an answer with a TTL of 0 says that a lease is gone; a stream ending says nothing
            // about any lease, whatever its code.
            Status failure = status.isOk() || status.getCode() == Status.Code.NOT_FOUND
                    ? Status.UNAVAILABLE.withDescription("etcd ended the lease keep-alive stream: " + status)
                    : status;
            for (Pending each : left) {
                each.answer.completeExceptionally(failure.asRuntimeException(trailers));
            }
        }
    }
}
