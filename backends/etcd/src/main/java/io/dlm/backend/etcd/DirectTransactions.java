package io.dlm.backend.etcd;

import com.google.common.util.concurrent.MoreExecutors;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.kv.TxnResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The transactions of every uncontended acquire and release, sent as plain gRPC calls on a
 * client's channel instead of through jetcd's key-value client.
 *
 * <p><b>Why.</b> jetcd builds a retry policy and an executor for every call, goes through a Vert.x
 * future, and hands each answer to its executor's thread before the caller sees it. With eight
 * threads on two cores that was about half of the client's CPU per acquire and release
 * (benchmarks/README.md, "etcd backend"). Here a transaction is one call whose answer completes the
 * caller's future on the thread that read it. That thread only counts down the caller's latch:
 * whoever gets these futures just waits for them ({@link OperationBudget#await}), and chains
 * nothing on them.
 *
 * <p><b>What jetcd's path did besides, and where it is now.</b>
 *
 * <ul>
 *   <li>The deadline of one operation timeout (X1) and etcd's "require leader" header, which {@link
 *       CallOptionsInterceptor} adds to jetcd's calls, are added here; the call passes {@link
 *       InboundActivity}, so its answers count as signs of life for the stall probe (N1).
 *   <li>jetcd retries a transaction only when etcd refused the client's auth token, after fetching
 *       a new one. A client with credentials therefore keeps jetcd's path: {@link #send} returns
 *       {@code null} and the caller uses jetcd.
 *   <li>The call does not take the caller's gRPC context: an application that is itself a gRPC
 *       service must not cancel a lock's transaction halfway by ending its own request.
 * </ul>
 *
 * <p>Until the client has made its first call its channel is unknown, and {@link #send} returns
 * {@code null} as well.
 */
final class DirectTransactions {

    /**
     * Answers complete the caller's future where they are read; see the class comment. gRPC's own
     * direct executor, which it recognizes and runs callbacks on without a serializing queue.
     */
    private static final Executor WHERE_READ = MoreExecutors.directExecutor();

    private final CallOptionsInterceptor.Capture capture;
    private final InboundActivity inbound;
    private final long deadlineNanos;

    /**
     * Creates the sender of one client.
     *
     * @param capture the client's channel and credentials, as its calls saw them
     * @param inbound what counts the client's answers
     * @param operationTimeout the deadline of every call
     */
    DirectTransactions(CallOptionsInterceptor.Capture capture, InboundActivity inbound, Duration operationTimeout) {
        this.capture = capture;
        this.inbound = inbound;
        this.deadlineNanos = operationTimeout.toNanos();
    }

    /**
     * Sends one transaction.
     *
     * @param request the transaction
     * @return its answer, which fails with the call's {@link Status} when etcd refused it or the
     *     call failed; {@code null} when the caller must send it through jetcd instead
     */
    @Nullable
    CompletableFuture<TxnResponse> send(TxnRequest request) {
        Channel target = target();
        if (target == null) {
            return null;
        }
        Reply reply = new Reply();
        CallOptions options =
                CallOptions.DEFAULT.withExecutor(WHERE_READ).withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS);
        Context previous = Context.ROOT.attach();
        ClientCall<TxnRequest, io.etcd.jetcd.api.TxnResponse> call = null;
        try {
            call = target.newCall(KVGrpc.getTxnMethod(), options);
            Metadata headers = new Metadata();
            headers.put(CallOptionsInterceptor.REQUIRE_LEADER, "true");
            call.start(reply, headers);
            // Two, as gRPC's own unary calls ask, so that a second answer shows as the error it is.
            call.request(2);
            call.sendMessage(request);
            call.halfClose();
        } catch (RuntimeException e) {
            if (call != null) {
                call.cancel("the transaction could not be sent", e);
            }
            reply.answer.completeExceptionally(e);
        } finally {
            Context.ROOT.detach(previous);
        }
        return reply.answer;
    }

    private @Nullable Channel target() {
        // The channel first, then the credentials: a call that made the channel known has
        // published its credentials before it (Capture.saw).
        Channel counted = capture.countedBy(inbound);
        if (counted == null || capture.credentials() != null) {
            return null;
        }
        return counted;
    }

    /**
     * Puts the key with the lease if the key does not exist; otherwise reads it.
     *
     * @param key the lock's key
     * @param value what the key holds (see {@link LockKeys#value})
     * @param leaseId the lease the key is attached to
     * @return the transaction
     */
    static TxnRequest createIfAbsent(ByteSequence key, ByteSequence value, long leaseId) {
        com.google.protobuf.ByteString bytes = bytes(key);
        // A key that does not exist has the create revision 0.
        return ifCreatedAt(bytes, 0)
                .addSuccess(RequestOp.newBuilder()
                        .setRequestPut(PutRequest.newBuilder()
                                .setKey(bytes)
                                .setValue(bytes(value))
                                .setLease(leaseId)))
                .build();
    }

    /**
     * Deletes the key if it is the incarnation created at a revision; otherwise reads it.
     *
     * @param key the lock's key
     * @param createRevision the incarnation's create revision
     * @return the transaction
     */
    static TxnRequest deleteIfIncarnation(ByteSequence key, long createRevision) {
        com.google.protobuf.ByteString bytes = bytes(key);
        return ifCreatedAt(bytes, createRevision)
                .addSuccess(RequestOp.newBuilder()
                        .setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(bytes)))
                .build();
    }

    /**
     * A transaction on a key whose condition is the key's create revision, and which reads the key
     * when the condition does not hold, so that the caller learns who holds it; its action is the
     * caller's to add.
     */
    private static TxnRequest.Builder ifCreatedAt(com.google.protobuf.ByteString key, long createRevision) {
        return TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder()
                        .setKey(key)
                        .setTarget(Compare.CompareTarget.CREATE)
                        .setResult(Compare.CompareResult.EQUAL)
                        .setCreateRevision(createRevision))
                .addFailure(RequestOp.newBuilder()
                        .setRequestRange(RangeRequest.newBuilder().setKey(key)));
    }

    /** {@code getBytes} returns a copy of its own, so wrapping it shares nothing. */
    private static com.google.protobuf.ByteString bytes(ByteSequence sequence) {
        return com.google.protobuf.UnsafeByteOperations.unsafeWrap(sequence.getBytes());
    }

    /** The answer of one call. */
    private static final class Reply extends ClientCall.Listener<io.etcd.jetcd.api.TxnResponse> {
        final CompletableFuture<TxnResponse> answer = new CompletableFuture<>();
        private io.etcd.jetcd.api.@Nullable TxnResponse message;
        private boolean answeredTwice;

        @Override
        public void onMessage(io.etcd.jetcd.api.TxnResponse received) {
            if (message != null) {
                answeredTwice = true;
            }
            message = received;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            io.etcd.jetcd.api.TxnResponse received = message;
            if (answeredTwice) {
                // Which answer tells the outcome is unknown: a failure, which the caller undoes (X5).
                answer.completeExceptionally(Status.INTERNAL
                        .withDescription("etcd answered a transaction twice")
                        .asRuntimeException(trailers));
            } else if (status.isOk() && received != null) {
                // No namespace: the backend's keys carry theirs in full (LockKeys).
                answer.complete(new TxnResponse(received, ByteSequence.EMPTY));
            } else if (status.isOk()) {
                answer.completeExceptionally(Status.INTERNAL
                        .withDescription("etcd ended a transaction without an answer")
                        .asRuntimeException(trailers));
            } else {
                answer.completeExceptionally(status.asRuntimeException(trailers));
            }
        }
    }
}
