package io.dlm.tck.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.tck.fault.History.Event;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault tier's checker, proved both ways: each check catches a violation planted in a history,
 * and histories that only look suspicious (touching intervals, one process, a holder that knew its
 * lease was gone, events recorded late) pass. Planted histories use made-up {@link
 * System#nanoTime()} readings, in milliseconds after {@link #t0}.
 */
class HistoryCheckerTest {

    private final long t0 = System.nanoTime();

    private long ms(double millis) {
        return t0 + (long) (millis * 1_000_000);
    }

    private History history() {
        return new History("HistoryCheckerTest");
    }

    /** A section whose holder saw its lease valid at both checks and whose write was accepted. */
    private void validSection(History history, String process, long token, double from, double to) {
        history.section(process, "r1", token, true, ms(from), true, true, ms(to));
    }

    private void acquired(History history, String process, long token, double calledAt, double returnedAt) {
        history.reported(process, "acquire", "r1", ms(calledAt), ms(returnedAt), History.ACQUIRED, token);
    }

    @Nested
    class OverlappingValidSections {

        @Test
        void overlapOfTwoProcessesIsReportedWithBothIntervals() {
            History history = history();
            validSection(history, "holder-a", 5, 10, 20);
            validSection(history, "holder-b", 6, 15, 25);

            assertThat(HistoryChecker.violations(history))
                    .containsExactly("M1/N1: overlapping valid critical sections on r1: holder-a token 5"
                            + " [+0.0 ms, +10.0 ms] and holder-b token 6 [+5.0 ms, +15.0 ms],"
                            + " both saw isValid() true before and after");
        }

        @Test
        void aSectionInsideAnotherIsReported() {
            History history = history();
            validSection(history, "holder-a", 5, 10, 40);
            validSection(history, "holder-b", 6, 20, 30);
            // An instant is enough: a zero-length section strictly inside a's.
            validSection(history, "holder-c", 7, 35, 35);

            assertThat(HistoryChecker.violations(history))
                    .hasSize(2)
                    .allMatch(v -> v.startsWith("M1/N1:") && v.contains("holder-a token 5"))
                    .anyMatch(v -> v.contains("holder-b token 6"))
                    .anyMatch(v -> v.contains("holder-c token 7"));
        }

        @Test
        void touchingSectionsAreSafe() {
            History history = history();
            // Equal readings do not prove which came first.
            validSection(history, "holder-a", 5, 10, 20);
            validSection(history, "holder-b", 6, 20, 30);
            validSection(history, "holder-c", 7, 30, 30);
            validSection(history, "holder-d", 8, 30, 40);

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void overlappingSectionsOfOneProcessAreSafe() {
            History history = history();
            validSection(history, "holder-a", 5, 10, 20);
            validSection(history, "holder-a", 5, 15, 25);

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void aHolderThatSawItsLeaseInvalidAtEitherCheckIsNotCounted() {
            History history = history();
            validSection(history, "holder-a", 5, 10, 40);
            history.section("holder-b", "r1", 4, false, ms(15), false, true, ms(25));
            history.section("holder-c", "r1", 3, true, ms(20), false, false, ms(30));

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void sectionsOnDifferentResourcesMayOverlap() {
            History history = history();
            history.section("holder-a", "r1", 5, true, ms(10), true, true, ms(20));
            history.section("holder-b", "r2", 1, true, ms(15), true, true, ms(25));

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void sectionsRecordedOutOfTimeOrderAreStillCompared() {
            History history = history();
            validSection(history, "holder-b", 6, 15, 25);
            validSection(history, "holder-x", 9, 100, 110);
            validSection(history, "holder-a", 5, 10, 20);

            assertThat(HistoryChecker.violations(history))
                    .singleElement()
                    .asString()
                    .startsWith("M1/N1:")
                    .contains("holder-a token 5", "holder-b token 6");
        }
    }

    @Nested
    class RejectedWritesOfValidHolders {

        @Test
        void aRejectedWriteOfAHolderValidThroughoutIsReported() {
            History history = history();
            validSection(history, "holder-b", 6, 5, 8);
            history.section("holder-a", "r1", 5, true, ms(10), false, true, ms(12));

            assertThat(HistoryChecker.violations(history))
                    .containsExactly("M3/N2: fenced store rejected the write of holder-a token 5"
                            + " [+5.0 ms, +7.0 ms] on r1 although it saw isValid() true before and after:"
                            + " a larger token wrote while its lease was live");
        }

        @Test
        void aPausedHolderThatSeesItsLeaseGoneMayBeRejected() {
            History history = history();
            validSection(history, "holder-b", 6, 5, 8);
            // N2: the resumed holder knows its lease is gone, writes anyway and is fenced off.
            history.section("holder-a", "r1", 5, false, ms(10), false, false, ms(12));
            history.section("holder-a", "r1", 5, true, ms(14), false, false, ms(16));

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }
    }

    @Nested
    class FencingOrderOfAcquisitions {

        @Test
        void aSmallerTokenAfterAnEarlierAcquisitionIsReported() {
            History history = history();
            acquired(history, "holder-a", 7, 10, 20);
            acquired(history, "holder-b", 6, 30, 35);

            assertThat(HistoryChecker.violations(history))
                    .containsExactly("F1: tokens out of order on r1: holder-a acquired token 7 (returned +10.0 ms)"
                            + " before holder-b called acquire (+20.0 ms), which acquired token 6");
        }

        @Test
        void anEqualTokenAfterAnEarlierAcquisitionIsReported() {
            History history = history();
            acquired(history, "holder-a", 7, 10, 20);
            acquired(history, "holder-b", 7, 30, 35);

            assertThat(HistoryChecker.violations(history))
                    .singleElement()
                    .asString()
                    .startsWith("F1:");
        }

        @Test
        void theLargestEarlierTokenIsNamed() {
            History history = history();
            acquired(history, "holder-a", 3, 0, 5);
            acquired(history, "holder-b", 9, 6, 10);
            acquired(history, "holder-c", 4, 11, 12);
            acquired(history, "holder-d", 10, 20, 21);

            assertThat(HistoryChecker.violations(history))
                    .singleElement()
                    .asString()
                    .contains("holder-b acquired token 9", "holder-c called acquire");
        }

        @Test
        void increasingTokensAndConcurrentAcquisitionsAreSafe() {
            History history = history();
            acquired(history, "holder-a", 7, 10, 20);
            // Called before a returned: either order is possible.
            acquired(history, "holder-b", 6, 15, 40);
            // Called exactly when a returned: equal readings prove no order.
            acquired(history, "holder-c", 5, 20, 22);
            acquired(history, "holder-d", 8, 41, 45);

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void onlySuccessfulAcquisitionsOfOneResourceAreCompared() {
            History history = history();
            acquired(history, "holder-a", 7, 10, 20);
            history.reported("holder-b", "acquire", "r1", ms(30), ms(35), "timed out", History.NO_TOKEN);
            history.reported("holder-b", "inspect", "r1", ms(30), ms(35), "held", 3);
            history.reported("holder-c", "acquire", "r2", ms(30), ms(35), History.ACQUIRED, 1);
            History.Op pending = history.call("holder-d", "acquire", "r1");

            assertThat(HistoryChecker.violations(history)).isEmpty();
            pending.failed(new IllegalStateException("closed"));
        }

        @Test
        void acquisitionsRecordedOutOfTimeOrderAreStillCompared() {
            History history = history();
            acquired(history, "holder-b", 6, 30, 35);
            acquired(history, "holder-a", 7, 10, 20);

            assertThat(HistoryChecker.violations(history))
                    .singleElement()
                    .asString()
                    .contains("holder-a acquired token 7", "holder-b called acquire");
        }

        @Test
        void operationsRecordedLiveAreTimedSoTheirOrderCounts() {
            History history = history();
            history.call("holder-a", "acquire", "r1").ok(History.ACQUIRED, 7);
            awaitClockTick();
            history.call("holder-b", "acquire", "r1").ok(History.ACQUIRED, 6);

            assertThat(HistoryChecker.violations(history))
                    .singleElement()
                    .asString()
                    .startsWith("F1:");
        }
    }

    @Nested
    class AcceptedWritesInTokenOrder {

        @Test
        void aSmallerTokenAcceptedAfterALargerIsReported() {
            History history = history();
            validSection(history, "holder-a", 7, 10, 20);
            validSection(history, "holder-b", 6, 30, 40);

            assertThat(HistoryChecker.violations(history))
                    .containsExactly("M3: fenced store accepted writes out of token order on r1: holder-a token 7"
                            + " [+0.0 ms, +10.0 ms] before holder-b token 6 [+20.0 ms, +30.0 ms]");
        }

        @Test
        void equalTokensAndWritesThatMayHaveRacedAreSafe() {
            History history = history();
            validSection(history, "holder-a", 7, 10, 20);
            validSection(history, "holder-a", 7, 25, 28);
            // Not valid throughout, so it may overlap a; its write may have come first.
            history.section("holder-b", "r1", 6, true, ms(15), true, false, ms(26));
            // Touching a's first write: no order proved.
            history.section("holder-c", "r1", 5, false, ms(20), true, false, ms(21));

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void rejectedWritesAreNotCompared() {
            History history = history();
            validSection(history, "holder-a", 7, 10, 20);
            history.section("holder-b", "r1", 6, false, ms(30), false, false, ms(40));

            assertThat(HistoryChecker.violations(history)).isEmpty();
        }
    }

    @Nested
    class Fencing {

        @Test
        void theStoreAcceptsOnlyTokensAtLeastTheLargestAccepted() {
            FencedStore store = new FencedStore();

            assertThat(store.write("r1", 5)).isTrue();
            assertThat(store.write("r1", 5)).isTrue();
            assertThat(store.write("r1", 4)).isFalse();
            assertThat(store.write("r1", 9)).isTrue();
            assertThat(store.write("r1", 6)).isFalse();
            assertThat(store.write("r2", 1)).isTrue();

            assertThat(store.acceptedTokens("r1")).containsExactly(5L, 5L, 9L);
            assertThat(store.acceptedTokens("r2")).containsExactly(1L);
            assertThat(store.acceptedTokens("r3")).isEmpty();
        }

        @Test
        void concurrentWritersNeverGetTokensAcceptedOutOfOrder() throws Exception {
            FencedStore store = new FencedStore();
            List<Long> acceptedByWriters = runConcurrently(8, 2_000, (thread, i) -> {
                long token = ThreadLocalRandom.current().nextLong(1_000);
                return store.write("r1", token) ? token : -1;
            });

            List<Long> accepted = store.acceptedTokens("r1");
            assertThat(accepted).isSorted();
            assertThat(accepted)
                    .containsExactlyInAnyOrderElementsOf(
                            acceptedByWriters.stream().filter(t -> t >= 0).toList());
        }
    }

    @Nested
    class Recording {

        @Test
        void anOperationRecordsItsCallAndReturnInPlace() {
            History history = history();
            History.Op op = history.call("holder-a", "acquire", "r1");
            history.note("between");
            Event pending = history.events().get(0);
            assertThat(pending.returned()).isFalse();
            assertThat(pending.outcome()).isEqualTo(History.PENDING);

            op.ok(History.ACQUIRED, 17);

            Event done = history.events().get(0);
            assertThat(done.kind()).isEqualTo(Event.Kind.CALL);
            assertThat(done.sequence()).isZero();
            assertThat(done.returnedAt()).isGreaterThanOrEqualTo(done.calledAt());
            assertThat(done.isAcquisition()).isTrue();
            assertThat(done.token()).isEqualTo(17);
            assertThat(history.events().get(1).kind()).isEqualTo(Event.Kind.NOTE);
            assertThat(history.events().get(1).outcome()).isEqualTo("between");
        }

        @Test
        void aFailureRecordsTheExceptionClassMessageAndCause() {
            History history = history();
            history.call("holder-a", "acquire", "r1")
                    .failed(new LockException(
                            LockError.INTERNAL_ERROR, "engine unreachable", new SocketTimeoutException("read")));

            Event failed = history.events().get(0);
            assertThat(failed.outcome())
                    .isEqualTo("failed LockException: INTERNAL_ERROR: engine unreachable"
                            + " (cause SocketTimeoutException: read)");
            assertThat(failed.hasToken()).isFalse();
            assertThat(failed.isAcquisition()).isFalse();
        }

        @Test
        void aReturnIsRecordedOnlyOnce() {
            History.Op op = history().call("holder-a", "release", "r1");
            op.ok("released");

            assertThatThrownBy(() -> op.ok("released"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already recorded");
            assertThatThrownBy(() -> op.failed(new RuntimeException())).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void badInputIsRejectedNamingTheArgument() {
            History history = history();
            History.Op op = history.call("holder-a", "acquire", "r1");

            assertThatThrownBy(() -> op.ok(History.ACQUIRED))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token");
            assertThatThrownBy(() -> history.reported("b", "acquire", "r1", 1, 2, History.ACQUIRED, History.NO_TOKEN))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token");
            assertThatThrownBy(() -> history.reported("b", "acquire", "r1", 2, 1, "timed out", History.NO_TOKEN))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("returnedAt");
            assertThatThrownBy(() -> history.section("b", "r1", 1, true, 2, true, true, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("validAfterCalledAt");
            String missing = null;
            assertThatThrownBy(() -> history.note(missing))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("text must not be null");
            assertThatThrownBy(() -> HistoryChecker.assertLiveAfter(history, "r1", t0, Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bound");
        }

        @Test
        void manyThreadsRecordAtOnceWithoutLosingOrMixingEvents() throws Exception {
            History history = history();
            int threads = 8;
            int perThread = 500;
            runConcurrently(threads, perThread, (thread, i) -> {
                String process = "p" + thread;
                History.Op op = history.call(process, "step", "r" + i);
                if (i % 10 == 0) {
                    history.note(process + " note " + i);
                }
                op.ok(process + "-" + i, i);
                return 0L;
            });

            List<Event> events = history.events();
            assertThat(events).hasSize(threads * perThread + threads * perThread / 10);
            assertThat(events.stream().map(Event::sequence).collect(Collectors.toSet()))
                    .hasSize(events.size());
            assertThat(IntStream.range(0, events.size()))
                    .allMatch(i -> events.get(i).sequence() == i);
            List<Event> calls =
                    events.stream().filter(e -> e.kind() == Event.Kind.CALL).toList();
            assertThat(calls).hasSize(threads * perThread).allMatch(Event::returned);
            // Each operation's return landed on its own call.
            assertThat(calls)
                    .allMatch(e ->
                            e.outcome().equals(e.process() + "-" + e.resource().substring(1))
                                    && e.token() == Long.parseLong(e.resource().substring(1)));
            assertThat(HistoryChecker.violations(history)).isEmpty();
        }

        @Test
        void aMutuallyExclusiveFencedWorkloadPassesEveryCheck() throws Exception {
            History history = history();
            FencedStore store = new FencedStore();
            ReentrantLock engine = new ReentrantLock();
            AtomicLong tokens = new AtomicLong();
            runConcurrently(4, 100, (thread, i) -> {
                String process = "holder-" + thread;
                History.Op acquire = history.call(process, "acquire", "r1");
                engine.lock();
                try {
                    long token = tokens.incrementAndGet();
                    acquire.ok(History.ACQUIRED, token);
                    // The lease is held throughout: the checks are true by construction.
                    long before = System.nanoTime();
                    boolean accepted = store.write("r1", token);
                    long after = System.nanoTime();
                    history.section(process, "r1", token, true, before, accepted, true, after);
                    History.Op release = history.call(process, "release", "r1");
                    release.ok("released");
                } finally {
                    engine.unlock();
                }
                return 0L;
            });

            HistoryChecker.assertSafe(history);
            assertThat(store.acceptedTokens("r1")).hasSize(400).isSorted();
        }
    }

    @Nested
    class Timelines {

        @TempDir
        Path dir;

        @Test
        void theTimelineShowsEveryEventInTimeOrder() throws IOException {
            History history = new History("HistoryCheckerTest#timeline [1]");
            History.Op acquire = history.call("holder-a", "acquire", "r1");
            acquire.ok(History.ACQUIRED, 17);
            history.note("partition: holder-a black-holed");
            history.call("holder-a", "renew", "r1")
                    .failed(new LockException(LockError.INTERNAL_ERROR, "engine unreachable"));
            history.call("holder-a", "release", "r1");
            long now = System.nanoTime();
            history.section("holder-a", "r1", 17, true, now, false, false, now + 300_000);
            history.reported("holder-b", "acquire", "r1", ms(0), ms(12.34), History.ACQUIRED, 16);

            Path file = history.writeTimeline(dir);

            assertThat(file).isEqualTo(dir.resolve("HistoryCheckerTest_timeline__1_.txt"));
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertThat(lines.get(0)).isEqualTo("Fault history of HistoryCheckerTest#timeline [1]");
            assertThat(lines).anyMatch(l -> l.startsWith("Started ")).anyMatch(l -> l.equals("6 events"));
            List<String> body = lines.stream().filter(l -> l.startsWith("  ")).toList();
            assertThat(body).hasSize(6);
            // The reported acquisition happened first, though it was recorded last.
            assertThat(body.get(0))
                    .matches(" {2,}\\+0\\.0 ms {2}holder-b {2}acquire r1 {2}-> acquired token=16 {2}\\(12\\.3 ms\\)");
            assertThat(body.get(1)).contains("holder-a  acquire r1  -> acquired token=17  (");
            assertThat(body.get(2)).endsWith("  ---- partition: holder-a black-holed ----");
            assertThat(body.get(3))
                    .contains("holder-a  renew r1    -> failed LockException: INTERNAL_ERROR: engine unreachable  (");
            assertThat(body.get(4)).endsWith("holder-a  release r1  -> no return recorded");
            assertThat(body.get(5)).endsWith("holder-a  write r1 token=17 valid=true/false rejected  (0.3 ms)");
            // Times are right-aligned in one column.
            assertThat(body.stream().map(l -> l.indexOf(" ms ")).collect(Collectors.toSet()))
                    .hasSize(1);
        }

        @Test
        void aNameMadeOfOddCharactersStillGivesAFileInTheDirectory() throws IOException {
            assertThat(new History("../..").writeTimeline(dir)).isEqualTo(dir.resolve(".._...txt"));
            assertThat(new History("..").writeTimeline(dir)).isEqualTo(dir.resolve("history.txt"));
            assertThat(new History("").writeTimeline(dir)).isEqualTo(dir.resolve("history.txt"));
        }
    }

    @Nested
    class Assertions {

        @Test
        void assertSafeFailsWithTheViolationsAndKeepsTheTimeline() throws IOException {
            History history = new History("HistoryCheckerTest-assertSafe-" + System.nanoTime());
            validSection(history, "holder-a", 5, 10, 20);
            validSection(history, "holder-b", 6, 15, 25);
            acquired(history, "holder-a", 7, 30, 31);
            acquired(history, "holder-b", 6, 32, 33);

            AssertionError error = catchAssertionError(() -> HistoryChecker.assertSafe(history));

            assertThat(error.getMessage())
                    .startsWith("2 safety violation(s) in the fault history of " + history.testName())
                    .contains("M1/N1: overlapping valid critical sections", "F1: tokens out of order");
            assertThat(keptTimeline(error))
                    .contains("holder-a  write r1 token=5 valid=true/true accepted")
                    .endsWith("2 violations:\n  - "
                            + HistoryChecker.violations(history).get(0) + "\n  - "
                            + HistoryChecker.violations(history).get(1) + "\n");
        }

        @Test
        void assertSafePassesASafeHistoryAndWritesNothing() {
            History history = new History("HistoryCheckerTest-safe-" + System.nanoTime());
            validSection(history, "holder-a", 5, 10, 20);
            validSection(history, "holder-b", 6, 20, 30);

            HistoryChecker.assertSafe(history);

            assertThat(Path.of("target", "fault-histories", Timeline.fileName(history.testName())))
                    .doesNotExist();
        }

        @Test
        void assertLiveAfterPassesWhenAnAcquisitionReturnedWithinTheBound() {
            History history = history();
            acquired(history, "holder-a", 5, 0, 10);
            history.note("heal");
            acquired(history, "holder-b", 6, 90, 150);

            HistoryChecker.assertLiveAfter(history, "r1", ms(100), Duration.ofMillis(50));
            HistoryChecker.assertLiveAfter(history, "r1", ms(150), Duration.ZERO);
        }

        @Test
        void assertLiveAfterFailsWhenNoAcquisitionReturnedWithinTheBound() throws IOException {
            History history = new History("HistoryCheckerTest-liveness-" + System.nanoTime());
            // Before the heal, after the bound, of another resource, and not successful: none counts.
            acquired(history, "holder-a", 5, 0, 99);
            acquired(history, "holder-b", 6, 100, 151);
            history.reported("holder-c", "acquire", "r2", ms(100), ms(110), History.ACQUIRED, 1);
            history.reported("holder-d", "acquire", "r1", ms(100), ms(110), "timed out", History.NO_TOKEN);

            AssertionError error = catchAssertionError(
                    () -> HistoryChecker.assertLiveAfter(history, "r1", ms(100), Duration.ofMillis(50)));

            assertThat(error.getMessage())
                    .startsWith("Liveness after heal: no acquisition of r1 returned within 50.0 ms after the heal"
                            + " at +100.0 ms (by +150.0 ms)");
            assertThat(keptTimeline(error))
                    .contains("holder-b  acquire r1  -> acquired token=6")
                    .contains("Liveness after heal: no acquisition of r1");
        }
    }

    private static AssertionError catchAssertionError(Runnable check) {
        try {
            check.run();
        } catch (AssertionError expected) {
            return expected;
        }
        throw new AssertionError("expected the check to fail");
    }

    /**
     * The timeline a failed check kept under {@code target/fault-histories/} and named in its
     * message, read, then deleted so that it does not pile up.
     */
    private static String keptTimeline(AssertionError error) throws IOException {
        Path file = timelineNamedIn(error);
        try {
            assertThat(file.getParent().getFileName()).hasToString("fault-histories");
            return Files.readString(file, StandardCharsets.UTF_8);
        } finally {
            Files.delete(file);
        }
    }

    private static Path timelineNamedIn(AssertionError error) {
        String message = error.getMessage();
        int at = message.lastIndexOf("\nTimeline: ");
        assertThat(at).as(message).isPositive();
        Path file = Path.of(message.substring(at + "\nTimeline: ".length()));
        assertThat(file).isAbsolute().exists();
        return file;
    }

    /** Waits until {@link System#nanoTime()} reads more than it did, so two recordings are ordered. */
    private static void awaitClockTick() {
        long start = System.nanoTime();
        while (System.nanoTime() == start) {
            Thread.onSpinWait();
        }
    }

    /** A step of a concurrent run: thread number and iteration, returning a value to collect. */
    private interface Step {
        long run(int thread, int iteration) throws Exception;
    }

    /** Runs {@code steps} iterations on each of {@code threads} threads, all released at once. */
    private static List<Long> runConcurrently(int threads, int steps, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<Long> values = new ArrayList<>();
                    for (int i = 0; i < steps; i++) {
                        values.add(step.run(thread, i));
                    }
                    return values;
                }));
            }
            start.countDown();
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> result : results) {
                all.addAll(result.get(60, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
