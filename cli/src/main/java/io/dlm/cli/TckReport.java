package io.dlm.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * What {@code dlm tck} prints while the TCK runs: each rule group as it starts, each test as it
 * ends (its rule is the start of its name), the first line of each failure, and a summary. With
 * {@code --json}, one object per test and one for the summary.
 */
final class TckReport implements TestExecutionListener {

    private final PrintWriter out;
    private final boolean json;
    private final Map<String, Long> startedAt = new ConcurrentHashMap<>();
    private long runStartedAt;
    private @Nullable TestPlan plan;
    private int found;
    private int passed;
    private int failed;
    private int skipped;

    /**
     * A report on the given output.
     *
     * @param out standard output
     * @param json whether to print JSON
     */
    TckReport(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    /** Says what runs against what, before the first test. */
    void begin(EngineUnderTest engine, double multiplier) {
        runStartedAt = System.nanoTime();
        if (!json) {
            out.printf(
                    "DLM TCK against backend '%s': lease granularity %s, %s lock space, timings x%s%n",
                    engine.backend(),
                    Text.seconds(engine.leaseGranularity()),
                    engine.sharedLockSpace() ? "shared" : "private",
                    multiplier);
            out.flush();
        }
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionStarted(TestIdentifier test) {
        startedAt.put(test.getUniqueId(), System.nanoTime());
        if (!json && isRuleGroup(test)) {
            out.println();
            out.println(test.getDisplayName());
            out.flush();
        }
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        if (test.isTest()) {
            found++;
            skipped++;
            print(test, "skipped", 0, reason);
        }
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        long started = startedAt.getOrDefault(test.getUniqueId(), System.nanoTime());
        long millis = (System.nanoTime() - started) / 1_000_000;
        String why = result.getThrowable().map(TckReport::firstLine).orElse(null);
        if (!test.isTest()) {
            // A group that could not even start (its setup failed) fails its rules as a whole.
            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                failed++;
                print(test, "FAILED", millis, why);
            }
            return;
        }
        found++;
        switch (result.getStatus()) {
            case SUCCESSFUL -> {
                passed++;
                print(test, "passed", millis, null);
            }
            case ABORTED -> {
                skipped++;
                print(test, "skipped", millis, why);
            }
            case FAILED -> {
                failed++;
                print(test, "FAILED", millis, why);
            }
        }
    }

    /** Prints the summary, after the last test. */
    void end() {
        Duration took = Duration.ofNanos(System.nanoTime() - runStartedAt);
        if (json) {
            out.printf(
                    "{\"tests\":%d,\"passed\":%d,\"failed\":%d,\"skipped\":%d,\"seconds\":%.1f}%n",
                    found, passed, failed, skipped, took.toMillis() / 1000.0);
        } else {
            out.println();
            out.printf(
                    "%d tests: %d passed, %d failed, %d skipped, in %s%n",
                    found, passed, failed, skipped, Text.seconds(took));
            out.println(
                    failed == 0
                            ? "The backend meets every rule tested."
                            : "The backend does not meet the rules whose tests FAILED (see SPEC ids in docs/contract.md).");
        }
        out.flush();
    }

    int found() {
        return found;
    }

    int failed() {
        return failed;
    }

    private void print(TestIdentifier test, String outcome, long millis, @Nullable String why) {
        if (json) {
            out.println("{\"test\":" + Json.string(name(test)) + ",\"group\":"
                    + Json.string(group(test)) + ",\"outcome\":"
                    + Json.string(outcome.toLowerCase(Locale.ROOT))
                    + ",\"millis\":" + millis + (why == null ? "" : ",\"message\":" + Json.string(why)) + "}");
        } else {
            out.printf("  %-7s %s (%d ms)%n", outcome, name(test), millis);
            if (why != null && !why.isEmpty()) {
                out.println("          " + why);
            }
        }
        out.flush();
    }

    /** A nested rule group of the TCK class: a container whose parent is the TCK class itself. */
    private boolean isRuleGroup(TestIdentifier test) {
        return test.isContainer()
                && test.getSource().filter(ClassSource.class::isInstance).isPresent()
                && parent(test)
                        .flatMap(TestIdentifier::getSource)
                        .filter(ClassSource.class::isInstance)
                        .isPresent();
    }

    /** A test's method name, which starts with its rule's id; JUnit's display name adds "()". */
    private static String name(TestIdentifier test) {
        return test.getSource()
                .filter(MethodSource.class::isInstance)
                .map(source -> ((MethodSource) source).getMethodName())
                .orElse(test.getDisplayName());
    }

    private String group(TestIdentifier test) {
        return parent(test).map(TestIdentifier::getDisplayName).orElse("");
    }

    private Optional<TestIdentifier> parent(TestIdentifier test) {
        return plan == null ? Optional.empty() : plan.getParent(test);
    }

    private static String firstLine(Throwable failure) {
        String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        String line = message.lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .findFirst()
                .orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
