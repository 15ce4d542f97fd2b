package io.dlm.tck.selftest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.dlm.tck.LockManagerTck;
import io.dlm.tck.PrivateLockSpaceTck;
import io.dlm.tck.SharedLockSpaceTck;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Proves the TCK right both ways: the reference backend passes all of it, and each flawed variant
 * fails the tests named after the rule its flaw breaks. The TCK runs through the JUnit Platform
 * launcher, as a backend's build would run it.
 *
 * <p>Flawed variants run only the tests of the rules they break, to keep the build short. Set
 * {@code -Ddlm.tck.selftest.full=true} to run the whole TCK against each and print what fails.
 */
class TckSelfTest {

    private static final boolean FULL = Boolean.getBoolean("dlm.tck.selftest.full");

    /** Runs of a flawed fixture before its flaw counts as missed. */
    private static final int FLAKY_FLAW_ATTEMPTS = 3;

    @Test
    void referenceBackendPassesTheWholeTck() {
        TestExecutionSummary summary = run(Fixtures.ReferenceFixture.class, List.of());
        assertNoFailures(summary);
        // Every test of every inherited nested group was found from a subclass in another package.
        assertThat(summary.getTestsFoundCount()).isEqualTo(countTckTests(PrivateLockSpaceTck.class));
        assertThat(summary.getTestsSucceededCount()).isGreaterThan(countTckTests(PrivateLockSpaceTck.class) * 9 / 10);
        assertThat(summary.getContainersFoundCount())
                .as("fixture class and its nested rule groups, plus the engine")
                .isEqualTo(countNestedGroups(PrivateLockSpaceTck.class) + 2);
    }

    @Test
    void sharedSpaceReferenceWithCoarseLeasesPassesTheWholeTck() {
        TestExecutionSummary summary = run(Fixtures.SharedSpaceFixture.class, List.of());
        assertNoFailures(summary);
        assertThat(summary.getTestsFoundCount()).isEqualTo(countTckTests(SharedLockSpaceTck.class));
        assertThat(countTckTests(SharedLockSpaceTck.class))
                .as("the shared tier runs more rules than the private one")
                .isGreaterThan(countTckTests(PrivateLockSpaceTck.class));
    }

    static Stream<Arguments> flawedBackends() {
        return Stream.of(
                Arguments.of(Fixtures.ReentrantFixture.class, List.of("L3_")),
                Arguments.of(Fixtures.RevivesExpiredFixture.class, List.of("H2_")),
                Arguments.of(Fixtures.UnlockByAnyoneFixture.class, List.of("U2_")),
                Arguments.of(Fixtures.LostWakeupFixture.class, List.of("U3_", "L4_")),
                Arguments.of(Fixtures.TokensResetFixture.class, List.of("F1_")),
                Arguments.of(Fixtures.BargingFixture.class, List.of("L2_")),
                Arguments.of(Fixtures.LazyExpiryFixture.class, List.of("E2_")),
                Arguments.of(Fixtures.NoValidationFixture.class, List.of("V1_", "V2_")));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @MethodSource("flawedBackends")
    void flawedBackendFailsTheTestsOfTheRuleItBreaks(Class<? extends LockManagerTck> fixture, List<String> rules) {
        // A flaw that shows only in a race (a newcomer barging in between a release and the queued
        // waiter's wake-up) may slip through one run on a loaded host: it counts as caught if any
        // of a few runs catches it. Deterministic flaws are caught by the first.
        List<String> failed = new ArrayList<>();
        for (int attempt = 1; attempt <= FLAKY_FLAW_ATTEMPTS; attempt++) {
            failed.addAll(failedTestNames(run(fixture, FULL ? List.of() : rules)));
            if (rules.stream().allMatch(rule -> failed.stream().anyMatch(name -> name.startsWith(rule)))) {
                break;
            }
            System.out.println("[tck self-test] " + fixture.getSimpleName() + " not caught in run " + attempt);
        }
        for (String rule : rules) {
            assertThat(failed)
                    .as("tests failed by %s; expected some of rule %s", fixture.getSimpleName(), rule)
                    .anyMatch(name -> name.startsWith(rule));
        }
    }

    /** Runs the TCK against a fixture, limited to tests whose names start with one of the prefixes. */
    private static TestExecutionSummary run(Class<?> fixture, List<String> rulePrefixes) {
        LauncherDiscoveryRequestBuilder request =
                LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture));
        request.filters((PostDiscoveryFilter) descriptor -> included(descriptor, rulePrefixes));
        LauncherDiscoveryRequest discovery = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        SlowTests slowTests = new SlowTests();
        long start = System.nanoTime();
        launcher.execute(discovery, listener, slowTests);
        TestExecutionSummary summary = listener.getSummary();
        report(fixture, summary, (System.nanoTime() - start) / 1_000_000);
        if (rulePrefixes.isEmpty()) {
            System.out.println("[tck self-test]   slowest: " + slowTests.slowest(8));
        }
        return summary;
    }

    private static FilterResult included(TestDescriptor descriptor, List<String> rulePrefixes) {
        Optional<String> method = methodName(descriptor.getSource());
        if (method.isEmpty()) {
            return FilterResult.included("container");
        }
        if (isRuntimeLifecycleRule(method.get())) {
            return FilterResult.excluded("K1-K5, X5 and S1-S4 are the runtime's; dlm-impl self-tests them");
        }
        return FilterResult.includedIf(
                rulePrefixes.isEmpty() || rulePrefixes.stream().anyMatch(method.get()::startsWith));
    }

    /**
     * The tests the reference manager cannot run: the runtime's lease lifecycle, and the tests
     * that need a backend the TCK decorates with faults (the reference is a manager, not a backend).
     */
    static boolean isRuntimeLifecycleRule(String testName) {
        return testName.matches("(K[1-5]|X5|S[1-4])_.*") || testName.startsWith("X1_aWaitOnASlowEngine");
    }

    private static Optional<String> methodName(Optional<TestSource> source) {
        return source.filter(org.junit.platform.engine.support.descriptor.MethodSource.class::isInstance)
                .map(org.junit.platform.engine.support.descriptor.MethodSource.class::cast)
                .map(org.junit.platform.engine.support.descriptor.MethodSource::getMethodName);
    }

    private static List<String> failedTestNames(TestExecutionSummary summary) {
        return summary.getFailures().stream()
                .map(TestExecutionSummary.Failure::getTestIdentifier)
                .map(TestIdentifier::getSource)
                .map(TckSelfTest::methodName)
                .flatMap(Optional::stream)
                .collect(Collectors.toList());
    }

    private static void assertNoFailures(TestExecutionSummary summary) {
        StringWriter details = new StringWriter();
        summary.printFailuresTo(new PrintWriter(details), 25);
        assertThat(summary.getTotalFailureCount())
                .as("failures of the reference backend:%n%s", details)
                .isZero();
    }

    private static void report(Class<?> fixture, TestExecutionSummary summary, long millis) {
        System.out.printf(
                "[tck self-test] %s: %d found, %d succeeded, %d failed, %d skipped in %d ms%n",
                fixture.getSimpleName(),
                summary.getTestsFoundCount(),
                summary.getTestsSucceededCount(),
                summary.getTotalFailureCount(),
                summary.getTestsAbortedCount() + summary.getTestsSkippedCount(),
                millis);
        for (TestExecutionSummary.Failure failure : summary.getFailures()) {
            String message = String.valueOf(failure.getException().getMessage());
            String firstLine = message.lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty())
                    .findFirst()
                    .orElse("");
            System.out.printf(
                    "[tck self-test]   failed %s: %s%n",
                    methodName(failure.getTestIdentifier().getSource())
                            .orElse(failure.getTestIdentifier().getDisplayName()),
                    firstLine.length() > 160 ? firstLine.substring(0, 160) + "..." : firstLine);
        }
    }

    /** Records how long each test took, so the self-test shows where the TCK spends its time. */
    private static final class SlowTests implements TestExecutionListener {
        private final Map<String, Long> started = new ConcurrentHashMap<>();
        private final Map<String, Long> tookMillis = new ConcurrentHashMap<>();

        @Override
        public void executionStarted(TestIdentifier test) {
            if (test.isTest()) {
                started.put(test.getUniqueId(), System.nanoTime());
            }
        }

        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            Long start = started.remove(test.getUniqueId());
            if (start != null) {
                String name = methodName(test.getSource()).orElse(test.getDisplayName());
                tookMillis.put(name, (System.nanoTime() - start) / 1_000_000);
            }
        }

        String slowest(int count) {
            return tookMillis.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(count)
                    .map(entry -> entry.getKey() + " " + entry.getValue() + " ms")
                    .collect(Collectors.joining(", "));
        }
    }

    /** The rule groups a tier runs: its own and those of {@link LockManagerTck}. */
    private static List<Class<?>> nestedGroups(Class<? extends LockManagerTck> tier) {
        return Stream.concat(
                        Arrays.stream(LockManagerTck.class.getDeclaredClasses()),
                        Arrays.stream(tier.getDeclaredClasses()))
                .filter(group -> group.isAnnotationPresent(Nested.class))
                .collect(Collectors.toList());
    }

    /** Groups with a test the reference runs; JUnit prunes the ones whose tests are all filtered out. */
    private static int countNestedGroups(Class<? extends LockManagerTck> tier) {
        return (int) nestedGroups(tier).stream()
                .filter(group -> {
                    for (Class<?> type = group; type != null; type = type.getSuperclass()) {
                        for (Method method : type.getDeclaredMethods()) {
                            if (method.isAnnotationPresent(Test.class) && !isRuntimeLifecycleRule(method.getName())) {
                                return true;
                            }
                        }
                    }
                    return false;
                })
                .count();
    }

    /** Test methods declared by the rule groups, counted by reflection, not by JUnit. */
    private static long countTckTests(Class<? extends LockManagerTck> tier) {
        long count = 0;
        for (Class<?> group : nestedGroups(tier)) {
            for (Class<?> type = group; type != null; type = type.getSuperclass()) {
                for (Method method : type.getDeclaredMethods()) {
                    if (method.isAnnotationPresent(Test.class) && !isRuntimeLifecycleRule(method.getName())) {
                        count++;
                    }
                }
            }
        }
        return count;
    }
}
