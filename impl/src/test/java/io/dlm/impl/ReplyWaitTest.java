package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.spi.ReplyWait;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How every backend waits for an engine's reply within its operation's deadline (X1, X2). */
class ReplyWaitTest {

    private static final long FAR = TimeUnit.SECONDS.toNanos(30);

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void X1_aReplyThatHasComeIsTakenAtOnceEvenPastTheDeadline() throws Exception {
        CompletableFuture<String> reply = CompletableFuture.completedFuture("ok");

        assertThat(ReplyWait.await(reply, System.nanoTime() - 1)).isTrue();
        assertThat(ReplyWait.awaitUninterruptibly(reply, System.nanoTime() - 1)).isTrue();
    }

    @Test
    void X1_aReplyThatDoesNotComeEndsTheWaitAtTheDeadline() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        long start = System.nanoTime();

        assertThat(ReplyWait.await(reply, start + TimeUnit.MILLISECONDS.toNanos(100)))
                .isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(100))
                .isLessThan(TckTimings.scaled(Duration.ofSeconds(2)));
        assertThat(reply.getNumberOfDependents())
                .as("the latch's callback stays until the reply comes")
                .isEqualTo(1);
    }

    @Test
    void X1_aReplyEndsTheWaitWhenItComes() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(() -> reply.complete("ok"));

        assertThat(ReplyWait.await(reply, System.nanoTime() + FAR)).isTrue();
    }

    @Test
    void X2_anInterruptAlreadySetEndsTheInterruptibleWait() {
        CompletableFuture<String> reply = new CompletableFuture<>();
        Thread.currentThread().interrupt();

        assertThatThrownBy(() -> ReplyWait.await(reply, System.nanoTime() + FAR))
                .isInstanceOf(InterruptedException.class);
    }

    @Test
    void X2_anInterruptDuringTheWaitEndsTheInterruptibleWait() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        Thread interrupter = interruptOnceParked(Thread.currentThread(), () -> {});

        assertThatThrownBy(() -> ReplyWait.await(reply, System.nanoTime() + FAR))
                .isInstanceOf(InterruptedException.class);
        interrupter.join();
    }

    @Test
    void X2_theUninterruptibleWaitOutlastsAnInterruptAndSetsTheStatusAgain() throws Exception {
        uninterruptibleWaitOutlastsAnInterrupt();
    }

    @Test
    void X2_theUninterruptibleWaitOfAThreadInterruptedBeforehandOutlastsAnotherInterrupt() throws Exception {
        Thread.currentThread().interrupt();
        uninterruptibleWaitOutlastsAnInterrupt();
    }

    private static void uninterruptibleWaitOutlastsAnInterrupt() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        Thread waiting = Thread.currentThread();
        AtomicInteger callbacks = new AtomicInteger();
        Thread interrupter = interruptOnceParked(waiting, () -> {
            awaitParked(waiting);
            callbacks.set(reply.getNumberOfDependents());
            reply.complete("ok");
        });

        assertThat(ReplyWait.awaitUninterruptibly(reply, System.nanoTime() + FAR))
                .as("the reply that came after the interrupt")
                .isTrue();
        assertThat(Thread.interrupted()).as("the interrupt status, set again").isTrue();
        interrupter.join();
        assertThat(callbacks)
                .as("callbacks on the reply while it was awaited, interrupts notwithstanding")
                .hasValue(1);
    }

    /**
     * Interrupts {@code waiting} once it parks, waits until the wait has taken the interrupt (its
     * status is clear again), then runs {@code then}.
     */
    private static Thread interruptOnceParked(Thread waiting, Runnable then) {
        Thread interrupter = new Thread(() -> {
            awaitParked(waiting);
            waiting.interrupt();
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> !waiting.isInterrupted());
            then.run();
        });
        interrupter.start();
        return interrupter;
    }

    private static void awaitParked(Thread thread) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(1))
                .until(() -> {
                    Thread.State state = thread.getState();
                    return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
                });
    }

    /**
     * A lock call made on a fork-join worker must not run the application's queued asynchronous
     * tasks on its own thread while it waits for the engine: they could stretch it past its
     * operation timeout (X1). {@code CompletableFuture.get} runs them there on JDK 25 (on JDK 17 it
     * starts a spare worker for them instead); the reply's own latch does neither.
     */
    @Test
    void X1_aWaitOnAForkJoinWorkerRunsNoneOfItsQueuedTasks() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            AtomicBoolean ranInsideTheWait = new AtomicBoolean();
            CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(
                    () -> {
                        Thread worker = Thread.currentThread();
                        assertThat(worker).isInstanceOf(ForkJoinWorkerThread.class);
                        AtomicBoolean waiting = new AtomicBoolean(true);
                        CompletableFuture.runAsync(
                                () -> {
                                    ranOn.set(Thread.currentThread());
                                    ranInsideTheWait.set(waiting.get() && Thread.currentThread() == worker);
                                },
                                pool);
                        CompletableFuture<String> reply = new CompletableFuture<>();
                        boolean came = ReplyWait.awaitUninterruptibly(
                                reply, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
                        waiting.set(false);
                        return came;
                    },
                    pool);

            assertThat(waited.get(10, TimeUnit.SECONDS)).isFalse();
            CompletableFuture.runAsync(() -> {}, pool).get(10, TimeUnit.SECONDS);
            assertThat(ranOn.get()).as("the queued task ran at last").isNotNull();
            assertThat(ranInsideTheWait)
                    .as("the queued task ran on %s, inside the worker's wait for a reply", ranOn.get())
                    .isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailureIsTakenOutOfTheWrappersThatFuturesPutAroundIt() {
        IllegalStateException engine = new IllegalStateException("engine", new RuntimeException("inner"));
        CompletionException wrapped = new CompletionException(new ExecutionException(engine));
        CompletionException empty = new CompletionException("no cause", null);

        assertThat(ReplyWait.failureOf(wrapped))
                .as("every wrapper is taken off, and no more than the wrappers")
                .isSameAs(engine);
        assertThat(ReplyWait.failureOf(engine)).isSameAs(engine);
        assertThat(ReplyWait.failureOf(empty))
                .as("a wrapper with nothing inside")
                .isSameAs(empty);
    }
}
