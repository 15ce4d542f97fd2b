package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.spi.ReplyWait;
import io.dlm.tck.TckTimings;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link DirectTransactions}: the lock's transactions as plain gRPC calls. Against the real etcd,
 * the answers are etcd's, read the way jetcd's would be, and they count as signs of life for the
 * stall probe (N1); a client that has made no call yet, or one with credentials, keeps jetcd's path.
 * Against a fake KV service that never answers, a call ends by the operation timeout with a deadline
 * the member sees (X1), carries the require-leader header, and is not cancelled by the caller's
 * gRPC context.
 */
class DirectTransactionsTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration OPERATION_TIMEOUT = TckTimings.scaled(Duration.ofSeconds(5));

    private static final Duration SHORT_TIMEOUT = TckTimings.scaledMillis(400);

    private static final Duration WAIT = TckTimings.scaled(Duration.ofSeconds(10));

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    @Test
    void transactionsAreAnsweredByEtcdAndCountAsSignsOfLife() throws Exception {
        CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
        InboundActivity inbound = new InboundActivity();
        Client client = openClient(inbound, capture);
        DirectTransactions transactions = new DirectTransactions(capture, inbound, OPERATION_TIMEOUT);
        ByteSequence key = bytes("/dlm-test/direct-" + UUID.randomUUID() + "/lock");
        ByteSequence value = LockKeys.value(30, 7, "holder");

        assertThat(transactions.send(DirectTransactions.createIfAbsent(key, value, 0)))
                .as("sent before the client's channel is known")
                .isNull();
        LeaseGrantResponse lease = client.getLeaseClient().grant(30).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        long arrivalsBefore = inbound.arrivals();
        TxnResponse created = answer(transactions.send(DirectTransactions.createIfAbsent(key, value, lease.getID())));
        assertThat(inbound.arrivals()).as("arrivals counted").isGreaterThan(arrivalsBefore);
        assertThat(created.isSucceeded()).isTrue();
        long token = created.getHeader().getRevision();
        var stored = client.getKVClient()
                .get(key)
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .getKvs();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).getValue()).isEqualTo(value);
        assertThat(stored.get(0).getLease()).isEqualTo(lease.getID());
        assertThat(stored.get(0).getCreateRevision()).isEqualTo(token);

        TxnResponse refused = answer(transactions.send(DirectTransactions.createIfAbsent(key, value, lease.getID())));
        assertThat(refused.isSucceeded()).isFalse();
        assertThat(EtcdCalls.firstOf(refused.getGetResponses()))
                .as("the holder read back")
                .satisfies(current -> {
                    assertThat(Objects.requireNonNull(current).getCreateRevision())
                            .isEqualTo(token);
                    assertThat(current.getKey()).isEqualTo(key);
                    assertThat(current.getLease()).isEqualTo(lease.getID());
                });

        TxnResponse otherIncarnation =
                answer(transactions.send(DirectTransactions.deleteIfIncarnation(key, token + 1)));
        assertThat(otherIncarnation.isSucceeded()).isFalse();
        assertThat(Objects.requireNonNull(EtcdCalls.firstOf(otherIncarnation.getGetResponses()))
                        .getCreateRevision())
                .isEqualTo(token);

        TxnResponse deleted = answer(transactions.send(DirectTransactions.deleteIfIncarnation(key, token)));
        assertThat(deleted.isSucceeded()).isTrue();
        assertThat(client.getKVClient()
                        .get(key)
                        .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .getKvs())
                .isEmpty();
    }

    @Test
    void aPutWithALeaseEtcdNoLongerKnowsFailsAsLeaseNotFound() {
        CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
        InboundActivity inbound = new InboundActivity();
        Client client = openClient(inbound, capture);
        client.getKVClient().get(bytes("/dlm-test/direct-first-call")).join();
        DirectTransactions transactions = new DirectTransactions(capture, inbound, OPERATION_TIMEOUT);
        ByteSequence key = bytes("/dlm-test/direct-" + UUID.randomUUID() + "/lock");

        CompletableFuture<TxnResponse> reply = Objects.requireNonNull(
                transactions.send(DirectTransactions.createIfAbsent(key, LockKeys.value(30, 1, "c"), 424_242)));

        Throwable failure = catchThrowable(reply::join);
        assertThat(OperationBudget.isLeaseNotFound(failure)).as("%s", failure).isTrue();
    }

    @Test
    void aClientWithCredentialsKeepsJetcdsPath() throws Exception {
        CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
        ManagedChannel channel = NettyChannelBuilder.forAddress(
                        InetAddress.getLoopbackAddress().getHostAddress(), EtcdExtension.freePort())
                .usePlaintext()
                .build();
        toClose.push(channel::shutdownNow);
        capture.saw(channel, new NoCredentials());
        DirectTransactions transactions = new DirectTransactions(capture, new InboundActivity(), OPERATION_TIMEOUT);

        assertThat(transactions.send(DirectTransactions.deleteIfIncarnation(bytes("k"), 1)))
                .isNull();
    }

    @Test
    void aTransactionNobodyAnswersEndsByTheOperationTimeoutWhateverTheCallersContextDoes() throws Exception {
        SilentKv silent = new SilentKv();
        ManagedChannel channel = serve(ServerInterceptors.intercept(silent, silent.headerRecorder()));
        // Warmed up first: in a cold JVM, loading and connecting what the first call needs could
        // take longer than the short deadline, and the call would end before the fake saw it.
        DirectTransactions patient = new DirectTransactions(captureOf(channel), new InboundActivity(), WAIT);
        CompletableFuture<TxnResponse> warmUp =
                patient.send(DirectTransactions.deleteIfIncarnation(bytes("/dlm-test/warm-up"), 1));
        Awaitility.await("the warm-up call reaches the fake").atMost(WAIT).until(() -> silent.calls.size() == 1);
        silent.calls.get(0).onError(Status.UNAVAILABLE.asRuntimeException());
        assertThat(catchThrowable(() -> answer(warmUp))).isNotNull();
        silent.clear();
        DirectTransactions transactions =
                new DirectTransactions(captureOf(channel), new InboundActivity(), SHORT_TIMEOUT);

        // Sent inside a gRPC context that is cancelled at once, as an application's request may be.
        Context.CancellableContext callers = Context.current().withCancellation();
        long start = System.nanoTime();
        CompletableFuture<TxnResponse> reply =
                callers.call(() -> transactions.send(DirectTransactions.deleteIfIncarnation(bytes("/dlm-test/k"), 3)));
        callers.cancel(null);

        Awaitility.await("the call reaches the fake")
                .atMost(WAIT)
                .failFast(
                        "the call ended first",
                        () -> Objects.requireNonNull(reply).isDone() && silent.calls.isEmpty())
                .until(() -> silent.calls.size() == 1);
        assertThat(silent.requireLeader).containsExactly("true");
        assertThat(silent.deadlines.get(0))
                .as("the deadline the member is told")
                .isPositive()
                .isLessThanOrEqualTo(SHORT_TIMEOUT.toNanos());
        assertThat(ReplyWait.awaitUninterruptibly(Objects.requireNonNull(reply), System.nanoTime() + WAIT.toNanos()))
                .isTrue();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        Throwable failure = catchThrowable(reply::join);
        assertThat(Status.fromThrowable(failure).getCode()).as("%s", failure).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(ReplaceableClient.isTimeout(failure)).isTrue();
        assertThat(took)
                .as("ended by the operation timeout, not by the caller's context")
                .isGreaterThanOrEqualTo(SHORT_TIMEOUT.minusMillis(50))
                .isLessThan(SHORT_TIMEOUT.plus(TckTimings.scaledMillis(2000)));
    }

    @Test
    void aTransactionAnsweredTwiceFails() throws Exception {
        // etcd's Txn as a stream that answers twice: gRPC's server would refuse a second answer on
        // a unary method, so the fake declares it streaming under the same name.
        MethodDescriptor<TxnRequest, io.etcd.jetcd.api.TxnResponse> twice = KVGrpc.getTxnMethod().toBuilder()
                .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
                .build();
        io.etcd.jetcd.api.TxnResponse succeeded =
                io.etcd.jetcd.api.TxnResponse.newBuilder().setSucceeded(true).build();
        ServerServiceDefinition kv = ServerServiceDefinition.builder(KVGrpc.SERVICE_NAME)
                .addMethod(twice, ServerCalls.asyncServerStreamingCall((request, responses) -> {
                    responses.onNext(succeeded);
                    responses.onNext(succeeded);
                    responses.onCompleted();
                }))
                .build();
        DirectTransactions transactions =
                new DirectTransactions(captureOf(serve(kv)), new InboundActivity(), OPERATION_TIMEOUT);

        CompletableFuture<TxnResponse> reply =
                transactions.send(DirectTransactions.deleteIfIncarnation(bytes("/dlm-test/k"), 3));

        Throwable failure = catchThrowable(() -> answer(reply));
        assertThat(Status.fromThrowable(failure).getCode()).as("%s", failure).isEqualTo(Status.Code.INTERNAL);
        assertThat(failure).hasMessageContaining("twice");
    }

    private ManagedChannel serve(ServerServiceDefinition service) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(loopback, 0))
                .addService(service)
                .build()
                .start();
        toClose.push(server::shutdownNow);
        ManagedChannel channel = NettyChannelBuilder.forAddress(new InetSocketAddress(loopback, server.getPort()))
                .usePlaintext()
                .build();
        toClose.push(channel::shutdownNow);
        return channel;
    }

    private static CallOptionsInterceptor.Capture captureOf(ManagedChannel channel) {
        CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
        capture.saw(channel, null);
        return capture;
    }

    private Client openClient(InboundActivity inbound, CallOptionsInterceptor.Capture capture) {
        EtcdSettings settings = new EtcdSettings(
                List.of(URI.create(ETCD.endpoints().split(",")[0])),
                "/dlm-test/direct/",
                null,
                null,
                null,
                EtcdSettings.DEFAULT_CONNECT_TIMEOUT,
                OPERATION_TIMEOUT);
        ExecutorService executor = EtcdClients.newExecutor();
        toClose.push(executor::shutdownNow);
        Client client = EtcdClients.open(settings, executor, inbound, capture);
        toClose.push(client::close);
        return client;
    }

    private static TxnResponse answer(CompletableFuture<TxnResponse> reply) throws Exception {
        return Objects.requireNonNull(reply, "sent through jetcd instead").get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** Call credentials that add nothing: only whether there are any matters here. */
    private static final class NoCredentials extends CallCredentials {
        @Override
        public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
            applier.apply(new Metadata());
        }
    }

    /** A KV service that takes transactions and never answers them. */
    private static final class SilentKv extends KVGrpc.KVImplBase {
        final List<ServerCallStreamObserver<io.etcd.jetcd.api.TxnResponse>> calls = new CopyOnWriteArrayList<>();
        final List<String> requireLeader = new CopyOnWriteArrayList<>();
        final List<Long> deadlines = new CopyOnWriteArrayList<>();

        void clear() {
            calls.clear();
            requireLeader.clear();
            deadlines.clear();
        }

        @Override
        public void txn(TxnRequest request, StreamObserver<io.etcd.jetcd.api.TxnResponse> responses) {
            calls.add((ServerCallStreamObserver<io.etcd.jetcd.api.TxnResponse>) responses);
        }

        ServerInterceptor headerRecorder() {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(
                        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    requireLeader.add(String.valueOf(headers.get(CallOptionsInterceptor.REQUIRE_LEADER)));
                    io.grpc.Deadline deadline = Context.current().getDeadline();
                    deadlines.add(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.NANOSECONDS));
                    return next.startCall(call, headers);
                }
            };
        }
    }
}
