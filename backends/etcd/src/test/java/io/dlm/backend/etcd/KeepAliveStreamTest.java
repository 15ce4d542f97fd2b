package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.tck.TckTimings;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The failure paths of {@link KeepAliveStream}: answers matched to the wrong keep-alive, answers
 * nobody asked for, leases etcd no longer knows, streams that end, stall, or fail to send, and a
 * caller's gRPC context that ends while the stream it opened serves others.
 *
 * <p>etcd itself never misbehaves this way on purpose, so the stream talks to a fake Lease service
 * on loopback ({@link FakeLease}), a real gRPC server over Netty, that each test scripts: answer in
 * order, hold requests, answer out of order or for another lease, answer twice, end the stream.
 * The fake answers each lease with a TTL that is a function of its id ({@link #ttlOf}), so a
 * keep-alive handed another lease's answer shows as a wrong TTL.
 */
class KeepAliveStreamTest {

    /** An operation timeout no test reaches, so that no stream is given up as stuck by accident. */
    private static final Duration NO_SWEEP = TckTimings.scaled(Duration.ofMinutes(1));

    /** The operation timeout of the tests of a stuck stream. */
    private static final Duration SHORT_TIMEOUT = TckTimings.scaledMillis(300);

    /** How long anything expected may take to happen. */
    private static final Duration WAIT = TckTimings.scaled(Duration.ofSeconds(10));

    /** How long something that must not happen is watched for. */
    private static final Duration QUIET = TckTimings.scaledMillis(500);

    private static final int THREADS = 16;

    /** The fake's first stream answers nothing; every later one answers each keep-alive in order. */
    private static final Behaviour ONLY_LATER_STREAMS_ANSWER = (stream, id, index) -> {
        if (stream.number > 0) {
            stream.answer(id);
        }
    };

    private final FakeLease fake = new FakeLease();
    private final CallOptionsInterceptor.Capture capture = new CallOptionsInterceptor.Capture();
    private final InboundActivity inbound = new InboundActivity();
    private final List<KeepAliveStream> opened = new ArrayList<>();

    /** While set, the sends of streams from {@link #keepAlivesWithFailingSends} throw. */
    private final AtomicBoolean failSends = new AtomicBoolean();

    private Server server;
    private ManagedChannel channel;
    private ExecutorService executor;

    @BeforeEach
    void startTheFake() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        server = NettyServerBuilder.forAddress(new InetSocketAddress(loopback, 0))
                .addService(ServerInterceptors.intercept(fake, fake.headerRecorder()))
                .build()
                .start();
        channel = NettyChannelBuilder.forAddress(new InetSocketAddress(loopback, server.getPort()))
                .usePlaintext()
                .build();
        executor = EtcdClients.newExecutor();
    }

    @AfterEach
    void stopTheFake() throws InterruptedException {
        opened.forEach(KeepAliveStream::close);
        channel.shutdownNow();
        server.shutdownNow();
        channel.awaitTermination(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        server.awaitTermination(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        executor.shutdownNow();
    }

    @Test
    void concurrentKeepAlivesAnsweredInOrderEachGetTheirOwnLeasesTtlOnOneStream() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);

        List<Outcome> outcomes = sendFromManyThreads(keepAlives, 200);

        assertThat(outcomes).hasSize(THREADS * 200);
        assertThat(outcomes)
                .as("not answered with their own lease's TTL")
                .filteredOn(o -> !answeredWithItsOwnTtl(o))
                .isEmpty();
        assertThat(fake.streams).as("streams opened").hasSize(1);
        assertThat(fake.stream(0).received).hasSize(THREADS * 200);
        assertThat(fake.stream(0).cancelled).as("stream cancelled").isFalse();
        assertThat(fake.requireLeader)
                .as("require-leader header of each stream")
                .containsExactly("true");
    }

    @Test
    void answersCountAsSignsOfLifeForTheStallProbe() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        long before = inbound.arrivals();
        assertThat(ttlOf(keepAlive(keepAlives, 5))).isEqualTo(ttlOf(5));
        assertThat(inbound.arrivals())
                .as("arrivals counted with the stream's first answer")
                .isGreaterThan(before);

        // A later answer on the open stream is a message alone, without the stream's headers.
        long afterFirst = inbound.arrivals();
        assertThat(ttlOf(keepAlive(keepAlives, 6))).isEqualTo(ttlOf(6));
        assertThat(fake.streams).as("streams opened").hasSize(1);
        assertThat(inbound.arrivals())
                .as("arrivals counted with a later answer")
                .isGreaterThan(afterFirst);
    }

    @Test
    void answerOutOfOrderFailsTheStreamAndTheNextKeepAliveGoesOnANewOne() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        fake.behaviour = ONLY_LATER_STREAMS_ANSWER;
        CompletableFuture<Long> first = keepAlives.keepAlive(1);
        CompletableFuture<Long> second = keepAlives.keepAlive(2);
        CompletableFuture<Long> third = keepAlives.keepAlive(3);
        awaitReceived(0, 3);
        // Sent from the callback of the keep-alive the mismatch fails, before the stream's end has
        // been delivered: only forgetting the stream at the mismatch keeps this one off it.
        AtomicReference<@Nullable CompletableFuture<Long>> next = new AtomicReference<>();
        Objects.requireNonNull(first).whenComplete((ttl, failure) -> next.set(keepAlives.keepAlive(4)));

        fake.stream(0).send(2, ttlOf(2));

        assertStatus(failureOf(first), Status.Code.INTERNAL, "out of order");
        assertStatus(failureOf(second), Status.Code.CANCELLED, "out of order");
        assertStatus(failureOf(third), Status.Code.CANCELLED, "out of order");
        assertThat(ttlOf(Objects.requireNonNull(next.get()))).isEqualTo(ttlOf(4));
        assertThat(fake.streams).as("streams opened").hasSize(2);
        assertThat(fake.stream(0).received).as("sent on the first stream").containsExactly(1L, 2L, 3L);
        assertThat(fake.stream(1).received).as("sent on the second stream").containsExactly(4L);
        awaitCancelled(0);
    }

    @ParameterizedTest
    @EnumSource(Mismatch.class)
    void aMismatchAmongConcurrentKeepAlivesFailsWhatIsPendingOnItsStreamAndNothingElse(Mismatch mismatch)
            throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        int at = 50;
        AtomicLong mismatched = new AtomicLong();
        AtomicLong held = new AtomicLong();
        fake.behaviour = (stream, id, index) -> {
            if (stream.number > 0 || index < at) {
                stream.answer(id);
            } else if (index == at) {
                mismatched.set(id);
                if (mismatch == Mismatch.ANOTHER_LEASE) {
                    stream.send(id + 1_000_000_000L, ttlOf(id + 1_000_000_000L));
                } else {
                    held.set(id);
                }
            } else if (index == at + 1 && mismatch == Mismatch.SWAPPED) {
                stream.answer(id);
                stream.answer(held.get());
            } else {
                // In order again: a client that went on reading past the mismatch would hand
                // these answers to the wrong keep-alives.
                stream.answer(id);
            }
        };

        List<Outcome> outcomes = sendFromManyThreads(keepAlives, 100);

        assertThat(outcomes).hasSize(THREADS * 100);
        List<Outcome> answered =
                outcomes.stream().filter(o -> o.failure() == null).toList();
        List<Outcome> failed =
                outcomes.stream().filter(o -> o.failure() != null).toList();
        assertThat(answered)
                .as("answered with another lease's TTL")
                .filteredOn(o -> !answeredWithItsOwnTtl(o))
                .isEmpty();
        assertThat(failed)
                .filteredOn(o -> Status.fromThrowable(o.failure()).getCode() == Status.Code.INTERNAL)
                .extracting(Outcome::leaseId)
                .as("failed as answered out of order")
                .containsExactly(mismatched.get());
        assertThat(failed)
                .filteredOn(o -> o.leaseId() != mismatched.get())
                .allSatisfy(o -> assertStatus(o.failure(), Status.Code.CANCELLED, "out of order"));
        assertThat(fake.streams).as("streams opened").hasSize(2);
        // What was answered: the first stream's answers before the mismatch, and the second's.
        int answeredBefore = at - 1;
        assertThat(answered).hasSize(answeredBefore + fake.stream(1).received.size());
        assertThat(fake.stream(0).received.size() - answeredBefore)
                .as("keep-alives the first stream received after its last good answer")
                .isLessThanOrEqualTo(failed.size());
        int receivedOnFirst = fake.stream(0).received.size();

        assertThat(ttlOf(keepAlive(keepAlives, 7))).isEqualTo(ttlOf(7));
        assertThat(fake.streams).hasSize(2);
        assertThat(fake.stream(0).received).hasSize(receivedOnFirst);
        awaitCancelled(0);
    }

    @Test
    void anAnswerNobodyAskedForFailsTheStream() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        fake.behaviour = (stream, id, index) -> {
            stream.answer(id);
            if (stream.number == 0) {
                // The same answer again: were it kept, the next keep-alive of this lease would
                // take it for its own.
                stream.answer(id);
            }
        };

        assertThat(ttlOf(keepAlive(keepAlives, 1))).isEqualTo(ttlOf(1));
        assertTheFirstStreamIsReplaced(keepAlives, 1L, 1);
    }

    @Test
    void aTtlOfZeroFailsThatKeepAliveAsLeaseNotFoundAndKeepsTheStream() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        long gone = 13;
        fake.behaviour = (stream, id, index) -> stream.send(id, id == gone ? 0 : ttlOf(id));

        Throwable failure = failureOf(keepAlive(keepAlives, gone));

        assertStatus(failure, Status.Code.NOT_FOUND, "lease not found");
        assertThat(OperationBudget.isLeaseNotFound(failure)).isTrue();
        assertThat(ttlOf(keepAlive(keepAlives, 14))).isEqualTo(ttlOf(14));
        assertThat(fake.streams).as("streams opened").hasSize(1);
        assertThat(fake.stream(0).received).containsExactly(gone, 14L);
        assertThat(fake.stream(0).cancelled).isFalse();
    }

    @ParameterizedTest(name = "ended with {0}: pending keep-alives fail with {1}")
    @MethodSource("endings")
    void aStreamThatEndsFailsWhatIsPendingOnIt(Status.Code ending, Status.Code expected, String description)
            throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        fake.behaviour = ONLY_LATER_STREAMS_ANSWER;
        CompletableFuture<Long> first = keepAlive(keepAlives, 1);
        CompletableFuture<Long> second = keepAlive(keepAlives, 2);
        awaitReceived(0, 2);

        fake.stream(0).end(Status.fromCode(ending).withDescription("ended by the fake"));

        for (CompletableFuture<Long> pending : List.of(first, second)) {
            Throwable failure = failureOf(pending);
            assertStatus(failure, expected, description);
            // A stream that ends says nothing about any lease.
            assertThat(OperationBudget.isLeaseNotFound(failure)).isFalse();
        }
        assertTheNextKeepAliveGoesOnASecondStream(keepAlives, 3);
    }

    static Stream<Arguments> endings() {
        return Stream.of(
                // A stream that ends well carries no description of the fake's.
                Arguments.of(Status.Code.OK, Status.Code.UNAVAILABLE, "etcd ended the lease keep-alive stream"),
                Arguments.of(Status.Code.NOT_FOUND, Status.Code.UNAVAILABLE, "ended by the fake"),
                Arguments.of(Status.Code.UNAVAILABLE, Status.Code.UNAVAILABLE, "ended by the fake"),
                Arguments.of(Status.Code.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED, "ended by the fake"));
    }

    @Test
    void aStreamLeftUnansweredForAnOperationTimeoutIsGivenUpByTheNextKeepAlive() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, SHORT_TIMEOUT);
        fake.behaviour = ONLY_LATER_STREAMS_ANSWER;
        long sent = System.nanoTime();
        CompletableFuture<Long> stuck = keepAlive(keepAlives, 1);
        awaitReceived(0, 1);
        awaitPast(sent, SHORT_TIMEOUT);
        assertThat(stuck).isNotDone();

        CompletableFuture<Long> next = keepAlive(keepAlives, 2);

        assertStatus(failureOf(stuck), Status.Code.CANCELLED, "unanswered");
        assertThat(ttlOf(next)).isEqualTo(ttlOf(2));
        assertThat(fake.streams).as("streams opened").hasSize(2);
        assertThat(fake.stream(1).received).containsExactly(2L);
        awaitCancelled(0);
    }

    /**
     * The stuck stream is given up before the keep-alive that found it opens a replacement: when
     * the send on the replacement fails, the stuck one must not be left open, with its keep-alive
     * never answered.
     */
    @Test
    void aStuckStreamIsGivenUpEvenWhenTheSendOnItsReplacementFails() throws Exception {
        KeepAliveStream keepAlives = keepAlivesWithFailingSends(SHORT_TIMEOUT);
        fake.behaviour = ONLY_LATER_STREAMS_ANSWER;
        long sent = System.nanoTime();
        CompletableFuture<Long> stuck = keepAlive(keepAlives, 1);
        awaitReceived(0, 1);
        awaitPast(sent, SHORT_TIMEOUT);

        Throwable failure = failureOfAFailedSend(keepAlives, 2);

        assertThat(failure).hasMessageContaining("injected");
        assertStatus(failureOf(stuck), Status.Code.CANCELLED, "unanswered");
        awaitCancelled(0);
        assertThat(ttlOf(keepAlive(keepAlives, 3))).isEqualTo(ttlOf(3));
        assertThat(fake.stream(0).received).containsExactly(1L);
        // The stream whose send failed may never have reached the fake: count keep-alives only.
        assertThat(fake.streams.stream().flatMap(s -> s.received.stream())).containsExactlyInAnyOrder(1L, 3L);
    }

    @Test
    void closeFailsWhatIsPendingAndEveryLaterKeepAlive() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        fake.behaviour = (stream, id, index) -> {};
        CompletableFuture<Long> first = keepAlive(keepAlives, 1);
        CompletableFuture<Long> second = keepAlive(keepAlives, 2);
        awaitReceived(0, 2);

        keepAlives.close();

        assertStatus(failureOf(first), Status.Code.CANCELLED, "closed");
        assertStatus(failureOf(second), Status.Code.CANCELLED, "closed");
        assertStatus(failureOf(keepAlive(keepAlives, 3)), Status.Code.CANCELLED, "closed");
        awaitCancelled(0);
        assertThat(fake.streams).as("streams opened").hasSize(1);
        assertThat(fake.stream(0).received).containsExactly(1L, 2L);
    }

    @Test
    void aFailedSendFailsThatKeepAliveAndTheNextGoesOnANewStream() throws Exception {
        KeepAliveStream keepAlives = keepAlivesWithFailingSends(NO_SWEEP);
        fake.behaviour = ONLY_LATER_STREAMS_ANSWER;
        CompletableFuture<Long> pending = keepAlive(keepAlives, 1);
        awaitReceived(0, 1);

        Throwable failure = failureOfAFailedSend(keepAlives, 2);

        assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessageContaining("injected");
        // The stream whose send failed is dropped, with what it had pending.
        assertStatus(failureOf(pending), Status.Code.CANCELLED, "could not be sent");
        assertTheFirstStreamIsReplaced(keepAlives, 1L, 3);
    }

    @Test
    void theStreamOutlivesTheCancelledContextOfTheCallerThatOpenedIt() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        Context.CancellableContext caller = Context.current().withCancellation();

        CompletableFuture<Long> first = keepAliveIn(caller, keepAlives, 1);
        assertThat(ttlOf(first)).isEqualTo(ttlOf(1));
        caller.cancel(null);

        assertStreamOutlivesItsOpener(keepAlives, QUIET);
    }

    @Test
    void theStreamOutlivesTheDeadlineOfTheCallerThatOpenedIt() throws Exception {
        KeepAliveStream keepAlives = keepAlivesOn(channel, NO_SWEEP);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            Duration deadline = TckTimings.scaledMillis(300);
            Context.CancellableContext caller =
                    Context.current().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS, scheduler);

            CompletableFuture<Long> first = keepAliveIn(caller, keepAlives, 1);
            assertThat(ttlOf(first)).isEqualTo(ttlOf(1));

            assertStreamOutlivesItsOpener(keepAlives, deadline.plus(QUIET));
            assertThat(caller.isCancelled()).as("the caller's deadline expired").isTrue();
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void noKeepAliveBeforeTheClientsFirstCallHasShownItsChannel() {
        KeepAliveStream keepAlives = keepAlives(NO_SWEEP);

        assertThat(keepAlives.keepAlive(1)).isNull();
        assertThat(fake.streams).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------

    /** A stream opened on {@code seen}, the channel the client's calls have shown (as jetcd's do). */
    private KeepAliveStream keepAlivesOn(Channel seen, Duration operationTimeout) {
        capture.saw(seen, null);
        return keepAlives(operationTimeout);
    }

    /** A stream whose sends throw while {@link #failSends} is set, as a call that can send no more. */
    private KeepAliveStream keepAlivesWithFailingSends(Duration operationTimeout) {
        return keepAlivesOn(ClientInterceptors.intercept(channel, failingSends(failSends)), operationTimeout);
    }

    /** Sends a keep-alive whose send fails, on a stream from {@link #keepAlivesWithFailingSends}. */
    private Throwable failureOfAFailedSend(KeepAliveStream keepAlives, long leaseId) {
        failSends.set(true);
        try {
            return failureOf(keepAlive(keepAlives, leaseId));
        } finally {
            failSends.set(false);
        }
    }

    private KeepAliveStream keepAlives(Duration operationTimeout) {
        KeepAliveStream keepAlives = new KeepAliveStream(capture, inbound, executor, operationTimeout);
        opened.add(keepAlives);
        return keepAlives;
    }

    private static CompletableFuture<Long> keepAlive(KeepAliveStream keepAlives, long leaseId) {
        return Objects.requireNonNull(keepAlives.keepAlive(leaseId), "the capture has a channel");
    }

    /** Sends a keep-alive, from this thread, inside the given gRPC context. */
    private static CompletableFuture<Long> keepAliveIn(Context context, KeepAliveStream keepAlives, long leaseId) {
        Context previous = context.attach();
        try {
            return keepAlive(keepAlives, leaseId);
        } finally {
            context.detach(previous);
        }
    }

    /**
     * The client cancels the first stream, which carried only {@code sentOnTheFirst}, and the next
     * keep-alive, of {@code leaseId}, goes on a second one.
     */
    private void assertTheFirstStreamIsReplaced(KeepAliveStream keepAlives, long sentOnTheFirst, long leaseId)
            throws Exception {
        awaitCancelled(0);
        assertTheNextKeepAliveGoesOnASecondStream(keepAlives, leaseId);
        assertThat(fake.stream(0).received).containsExactly(sentOnTheFirst);
    }

    /**
     * Once the first stream is gone: the next keep-alive is answered, on a second stream, the
     * first thing sent on it.
     */
    private void assertTheNextKeepAliveGoesOnASecondStream(KeepAliveStream keepAlives, long leaseId) throws Exception {
        assertThat(ttlOf(keepAlive(keepAlives, leaseId))).isEqualTo(ttlOf(leaseId));
        assertThat(fake.streams).as("streams opened").hasSize(2);
        assertThat(fake.stream(1).received).as("sent on the second stream").containsExactly(leaseId);
    }

    /**
     * After the context of the caller that opened the stream ended: the stream stays open on the
     * server for the whole of {@code watched}, and another thread's keep-alive still goes on it.
     */
    private void assertStreamOutlivesItsOpener(KeepAliveStream keepAlives, Duration watched) throws Exception {
        Awaitility.await("the first stream stays open")
                .during(watched)
                .atMost(watched.plus(WAIT))
                .until(() -> !fake.stream(0).cancelled);
        CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> keepAlive(keepAlives, 2), executor)
                .thenCompose(future -> future);
        assertThat(ttlOf(other)).isEqualTo(ttlOf(2));
        assertThat(fake.streams).as("streams opened").hasSize(1);
        assertThat(fake.stream(0).received).containsExactly(1L, 2L);
    }

    /**
     * Sends {@code perThread} keep-alives from each of {@link #THREADS} threads started together,
     * each waiting for its answer before the next; every thread's lease ids are its own.
     */
    private static List<Outcome> sendFromManyThreads(KeepAliveStream keepAlives, int perThread) throws Exception {
        Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            List<Callable<Void>> senders = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long firstId = (t + 1) * 1_000_000L;
                senders.add(() -> {
                    start.await();
                    for (long id = firstId; id < firstId + perThread; id++) {
                        CompletableFuture<Long> answer = keepAlive(keepAlives, id);
                        try {
                            outcomes.add(new Outcome(id, answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS), null));
                        } catch (ExecutionException e) {
                            outcomes.add(new Outcome(id, null, e.getCause()));
                        }
                    }
                    return null;
                });
            }
            List<Future<Void>> done = new ArrayList<>();
            for (Callable<Void> sender : senders) {
                done.add(threads.submit(sender));
            }
            start.countDown();
            for (Future<Void> each : done) {
                each.get(WAIT.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        return new ArrayList<>(outcomes);
    }

    /** The TTL the fake answers for a lease: its own for each lease, so that a mix-up shows. */
    private static long ttlOf(long leaseId) {
        return leaseId * 3 + 1;
    }

    private static boolean answeredWithItsOwnTtl(Outcome outcome) {
        return outcome.ttl() != null && outcome.ttl() == ttlOf(outcome.leaseId());
    }

    private static long ttlOf(CompletableFuture<Long> answer) throws Exception {
        return answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Throwable failureOf(CompletableFuture<Long> answer) {
        Throwable thrown = catchThrowable(() -> answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertThat(thrown).as("the keep-alive fails").isInstanceOf(ExecutionException.class);
        return Objects.requireNonNull(thrown.getCause());
    }

    private static void assertStatus(@Nullable Throwable failure, Status.Code code, String description) {
        Status status = Status.fromThrowable(failure);
        assertThat(status.getCode()).as("status of %s", failure).isEqualTo(code);
        assertThat(status.getDescription()).as("status of %s", failure).contains(description);
    }

    private void awaitReceived(int stream, int count) {
        Awaitility.await("the fake received " + count + " keep-alives on stream " + stream)
                .atMost(WAIT)
                .until(() -> fake.streams.size() > stream
                        && fake.stream(stream).received.size() >= count);
    }

    private void awaitCancelled(int stream) {
        Awaitility.await("the client cancelled stream " + stream)
                .atMost(WAIT)
                .until(() -> fake.stream(stream).cancelled);
    }

    private static void awaitPast(long startNanos, Duration duration) {
        Awaitility.await("an operation timeout passes")
                .atMost(duration.plus(WAIT))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> System.nanoTime() - startNanos > duration.toNanos());
    }

    /** A client interceptor whose calls throw on sendMessage while the flag is set. */
    private static ClientInterceptor failingSends(AtomicBoolean failSends) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(
                    MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void sendMessage(Q message) {
                        if (failSends.get()) {
                            throw new IllegalStateException("injected: the call can send no more");
                        }
                        super.sendMessage(message);
                    }
                };
            }
        };
    }

    private record Outcome(
            long leaseId, @Nullable Long ttl, @Nullable Throwable failure) {}

    /** How the fake's first stream gets an answer wrong. */
    enum Mismatch {
        /** Two answers in each other's place. */
        SWAPPED,
        /** An answer for a lease nobody sent a keep-alive of. */
        ANOTHER_LEASE
    }

    /** What the fake does with a keep-alive it receives; it answers nothing unless told to. */
    @FunctionalInterface
    private interface Behaviour {
        /**
         * Handles one keep-alive.
         *
         * @param stream the stream it came on
         * @param leaseId its lease
         * @param index its place on the stream, from 1
         */
        void received(FakeStream stream, long leaseId, int index);
    }

    /** etcd's Lease service, keep-alive streams only, doing what the test's behaviour says. */
    private static final class FakeLease extends LeaseGrpc.LeaseImplBase {
        final List<FakeStream> streams = new CopyOnWriteArrayList<>();
        final List<String> requireLeader = new CopyOnWriteArrayList<>();
        volatile Behaviour behaviour = (stream, leaseId, index) -> stream.answer(leaseId);

        @Override
        public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> responses) {
            FakeStream stream =
                    new FakeStream(this, streams.size(), (ServerCallStreamObserver<LeaseKeepAliveResponse>) responses);
            streams.add(stream);
            return stream;
        }

        FakeStream stream(int number) {
            return streams.get(number);
        }

        ServerInterceptor headerRecorder() {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(
                        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    requireLeader.add(String.valueOf(headers.get(CallOptionsInterceptor.REQUIRE_LEADER)));
                    return next.startCall(call, headers);
                }
            };
        }
    }

    /** One keep-alive stream as the fake sees it. */
    private static final class FakeStream implements StreamObserver<LeaseKeepAliveRequest> {
        final FakeLease lease;
        final int number;
        final List<Long> received = new CopyOnWriteArrayList<>();
        volatile boolean cancelled;

        private final ServerCallStreamObserver<LeaseKeepAliveResponse> responses;

        /** Guarded by this; no answer goes out once the fake has ended the stream. */
        private boolean ended;

        FakeStream(FakeLease lease, int number, ServerCallStreamObserver<LeaseKeepAliveResponse> responses) {
            this.lease = lease;
            this.number = number;
            this.responses = responses;
            // With a handler set, answers sent after the client cancelled are dropped quietly.
            responses.setOnCancelHandler(() -> cancelled = true);
        }

        @Override
        public void onNext(LeaseKeepAliveRequest request) {
            received.add(request.getID());
            lease.behaviour.received(this, request.getID(), received.size());
        }

        @Override
        public void onError(Throwable failure) {
            cancelled = true;
        }

        @Override
        public synchronized void onCompleted() {
            if (!ended) {
                ended = true;
                responses.onCompleted();
            }
        }

        void answer(long leaseId) {
            send(leaseId, ttlOf(leaseId));
        }

        /** Called from the server's thread and the test's: a response observer is not thread-safe. */
        synchronized void send(long leaseId, long ttl) {
            if (!ended) {
                responses.onNext(LeaseKeepAliveResponse.newBuilder()
                        .setID(leaseId)
                        .setTTL(ttl)
                        .build());
            }
        }

        synchronized void end(Status status) {
            ended = true;
            if (status.isOk()) {
                responses.onCompleted();
            } else {
                responses.onError(status.asRuntimeException());
            }
        }
    }
}
