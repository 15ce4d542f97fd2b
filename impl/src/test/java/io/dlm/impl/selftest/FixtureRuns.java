package io.dlm.impl.selftest;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs a TCK tier wired to a flawed engine through the JUnit Platform launcher, as a backend's
 * build runs it, for the self-tests that prove the tier catches the flaw.
 */
public final class FixtureRuns {

    private FixtureRuns() {}

    /**
     * Runs the tests of {@code fixture} whose method names start with {@code rulePrefix}: only those
     * of the rule a flaw breaks ({@code ""} for all).
     *
     * @param fixture the tier's test class, wired to an engine
     * @param rulePrefix the start of the test methods' names, such as {@code "K3_"}
     * @return what ran, passed and failed
     */
    public static TestExecutionSummary run(Class<?> fixture, String rulePrefix) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create()
                .execute(
                        LauncherDiscoveryRequestBuilder.request()
                                .selectors(selectClass(fixture))
                                .filters((PostDiscoveryFilter) descriptor -> only(descriptor, rulePrefix))
                                .build(),
                        listener);
        return listener.getSummary();
    }

    /**
     * The failed tests, each as its display name and what it threw.
     *
     * @param summary a run's summary
     * @return one line a failure
     */
    public static List<String> failures(TestExecutionSummary summary) {
        return summary.getFailures().stream()
                .map(failure -> failure.getTestIdentifier().getDisplayName() + ": " + failure.getException())
                .collect(Collectors.toList());
    }

    /** Containers stay in, so that their tests are reached; a test method only of the rule. */
    private static FilterResult only(TestDescriptor descriptor, String rulePrefix) {
        Optional<String> method = descriptor
                .getSource()
                .filter(MethodSource.class::isInstance)
                .map(source -> ((MethodSource) source).getMethodName());
        return method.isEmpty()
                ? FilterResult.included("container")
                : FilterResult.includedIf(method.get().startsWith(rulePrefix));
    }
}
