package io.dlm.tck.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.tck.Prerequisites;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * S1 and S2 across processes whose wall clocks really differ: two JVMs, one of them run under
 * libfaketime with its wall clock {@value #OFFSET_MILLIS} ms ahead, each fire the same job on the
 * whole seconds of their own clock ({@link ScheduledJob}), taking the lock without waiting and
 * holding it at least {@value #HOLD_AT_LEAST_MILLIS} ms. Every tick then runs exactly once across
 * both: the JVM whose clock is ahead fires first and holds the lock past the other's firing of
 * the same tick, and lets it go before either fires the next one.
 *
 * <p>Only the monotonic clock of the forked JVMs is left true, so their {@link System#nanoTime()}
 * readings, {@code CLOCK_MONOTONIC} on Linux, put the runs of both in one order. The test checks
 * that the offset took effect, from each JVM's wall and monotonic clock read together, and that
 * the firings of one tick were that far apart, so that it cannot pass with clocks that agree.
 *
 * <p>For engines that share nothing with the JVMs but the network (Redis, a SQL database): a
 * backend's test extends it like {@link CrossProcessTck}. It takes about twenty seconds.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class SkewedClocksTck {

    /** How far ahead the second JVM's wall clock is: up to half a tick, as the issue asks. */
    private static final long OFFSET_MILLIS = 450;

    /** Longer than the offset, so the later firing of a tick finds the lock held; shorter than a tick. */
    private static final long HOLD_AT_LEAST_MILLIS = 800;

    /** How many whole seconds both JVMs fire at. */
    private static final int TICKS = 12;

    /** How far a measured clock offset may be from the intended one. */
    private static final long OFFSET_TOLERANCE_MILLIS = 100;

    /**
     * Two runs never come closer than this in real time: each holds the lock for {@value
     * #HOLD_AT_LEAST_MILLIS} ms, while two runs of one tick would be the offset apart.
     */
    private static final long MIN_GAP_MILLIS = 500;

    /**
     * Ticks that may be lost: a JVM that wakes more than half a tick late can find the lock held
     * by the other's next tick when it fires the one before.
     */
    private static final int LOSABLE_TICKS = 2;

    /** A JVM starting on a loaded two-core machine, loading a driver and connecting, takes a while. */
    private static final Duration JVM_START = Duration.ofSeconds(90);

    private static final String ON_TIME = "on-time";
    private static final String AHEAD = "ahead";

    private final String run = UUID.randomUUID().toString();

    /** For subclasses: a backend's test class. */
    protected SkewedClocksTck() {}

    /**
     * The backend's provider name, as {@code LockManagers.open} takes it.
     *
     * @return the name
     */
    protected abstract String backend();

    /**
     * The settings that reach the engine under test (its address, key prefix or table), given to
     * both forked JVMs.
     *
     * @return {@code dlm.*} settings
     */
    protected abstract Map<String, String> settings();

    @Test
    void S2_twoJvmsWithClocksHalfATickApartRunEachTickOnceBySkippingAndHoldingAtLeast(@TempDir Path dir)
            throws Exception {
        if (FakeClock.library().isEmpty()) {
            throw Prerequisites.missing("libfaketime is not installed: run `bash scripts/services.sh faketime`");
        }
        String resource = "dlm-tck/" + run + "/scheduled";
        Map<String, Duration> offsets = Map.of(ON_TIME, Duration.ZERO, AHEAD, Duration.ofMillis(OFFSET_MILLIS));
        Map<String, Path> journals = new LinkedHashMap<>();
        Map<String, ForkedJvm> jvms = new LinkedHashMap<>();
        try {
            for (String client : List.of(ON_TIME, AHEAD)) {
                Path journal = dir.resolve(client + ".journal");
                journals.put(client, journal);
                Map<String, String> environment = client.equals(AHEAD)
                        ? FakeClock.fixedOffsetEnvironment("+" + OFFSET_MILLIS / 1000.0)
                        : Map.of();
                jvms.put(
                        client,
                        ForkedJvm.start(
                                LockClientMain.class, arguments(resource, client, journal.toString()), environment));
            }
            for (Map.Entry<String, ForkedJvm> jvm : jvms.entrySet()) {
                String ready = jvm.getValue().awaitLine("READY ", JVM_START);
                assertThat(measuredOffset(ready).toMillis())
                        .as("the wall clock of the %s JVM, against this one's (%s)", jvm.getKey(), ready)
                        .isBetween(
                                offsets.get(jvm.getKey()).toMillis() - OFFSET_TOLERANCE_MILLIS,
                                offsets.get(jvm.getKey()).toMillis() + OFFSET_TOLERANCE_MILLIS);
            }
            // Two whole seconds ahead: both get the line before their own clock reaches the first tick.
            long firstTick = System.currentTimeMillis() / 1000 + 2;
            for (ForkedJvm jvm : jvms.values()) {
                jvm.send("START " + firstTick + " " + TICKS);
            }
            Duration done = TckTimings.scaled(Duration.ofSeconds(TICKS + 10));
            for (Map.Entry<String, ForkedJvm> jvm : jvms.entrySet()) {
                jvm.getValue().awaitLine("DONE", done);
                assertThat(jvm.getValue().awaitExit(TckTimings.scaled(Duration.ofSeconds(30))))
                        .as("exit status of the %s JVM", jvm.getKey())
                        .isZero();
            }
            List<TickJournal.Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Path> journal : journals.entrySet()) {
                entries.addAll(TickJournal.read(journal.getKey(), journal.getValue()));
            }
            assertRanOncePerTick(entries, firstTick);
        } finally {
            jvms.values().forEach(ForkedJvm::close);
        }
    }

    /**
     * How far a forked JVM's wall clock is ahead of this one's, from the readings of its {@code
     * READY} line: the monotonic clock, true in both, says what this JVM's wall clock read then.
     */
    private static Duration measuredOffset(String ready) {
        long nanoNow = System.nanoTime();
        long millisNow = System.currentTimeMillis();
        String[] words = ready.split(" ");
        long theirMillis = Long.parseLong(words[1]);
        long theirNano = Long.parseLong(words[2]);
        long ourMillisThen = millisNow - TimeUnit.NANOSECONDS.toMillis(nanoNow - theirNano);
        return Duration.ofMillis(theirMillis - ourMillisThen);
    }

    private static void assertRanOncePerTick(List<TickJournal.Entry> entries, long firstTick) {
        entries.sort(Comparator.comparingLong(TickJournal.Entry::ranAt));
        Set<Long> ticks = new TreeSet<>();
        for (long tick = firstTick; tick < firstTick + TICKS; tick++) {
            ticks.add(tick);
        }
        Map<String, List<Long>> firedTicks = entries.stream()
                .collect(Collectors.groupingBy(
                        TickJournal.Entry::client,
                        TreeMap::new,
                        Collectors.mapping(TickJournal.Entry::tick, Collectors.toList())));
        for (String client : List.of(ON_TIME, AHEAD)) {
            assertThat(firedTicks.getOrDefault(client, List.of()))
                    .as("the ticks the %s JVM fired, each once, run or skipped; journals: %s", client, entries)
                    .containsExactlyElementsOf(ticks);
        }

        // The ahead JVM fires each tick the offset before the other: that is what the skip and the hold must absorb.
        List<Long> lags = new ArrayList<>();
        Map<Long, Long> aheadFiredAt = new HashMap<>();
        entries.stream().filter(e -> e.client().equals(AHEAD)).forEach(e -> aheadFiredAt.put(e.tick(), e.firedAt()));
        entries.stream()
                .filter(e -> e.client().equals(ON_TIME))
                .forEach(e -> lags.add(TimeUnit.NANOSECONDS.toMillis(e.firedAt() - aheadFiredAt.get(e.tick()))));
        lags.sort(null);
        assertThat(lags.get(lags.size() / 2))
                .as("the median lag in ms of the on-time JVM's firing of a tick behind the ahead one's: %s", lags)
                .isBetween(OFFSET_MILLIS - OFFSET_TOLERANCE_MILLIS, OFFSET_MILLIS + OFFSET_TOLERANCE_MILLIS);

        List<TickJournal.Entry> runs =
                entries.stream().filter(TickJournal.Entry::ran).collect(Collectors.toList());
        Map<Long, List<TickJournal.Entry>> runsByTick = runs.stream()
                .collect(Collectors.groupingBy(TickJournal.Entry::tick, TreeMap::new, Collectors.toList()));
        assertThat(runsByTick)
                .as("S1, S2: a tick whose job ran on both JVMs; runs: %s", runs)
                .allSatisfy((tick, ranBy) -> assertThat(ranBy).hasSize(1));
        assertThat(runsByTick.keySet())
                .as("S1, S2: the ticks whose job ran, of %s; runs: %s", ticks, runs)
                .hasSizeGreaterThanOrEqualTo(TICKS - LOSABLE_TICKS);
        for (int i = 1; i < runs.size(); i++) {
            TickJournal.Entry before = runs.get(i - 1);
            TickJournal.Entry after = runs.get(i);
            assertThat(TimeUnit.NANOSECONDS.toMillis(after.ranAt() - before.ranAt()))
                    .as("S2: ms between the runs %s and %s, real time; runs: %s", before, after, runs)
                    .isGreaterThanOrEqualTo(MIN_GAP_MILLIS);
        }
    }

    private List<String> arguments(String resource, String client, String journal) {
        List<String> arguments = new ArrayList<>(
                List.of("schedule", backend(), resource, client, Long.toString(HOLD_AT_LEAST_MILLIS), journal));
        for (Map.Entry<String, String> setting : settings().entrySet()) {
            arguments.add(setting.getKey() + "=" + setting.getValue());
        }
        return arguments;
    }
}
