package io.dlm.cli;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.tck.TckBackends;
import io.dlm.tck.TckTimings;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code dlm tck}: runs the TCK (every rule of the contract that a backend must meet) against the
 * configured engine, for backend authors and for operators checking their engine and settings
 * before they trust it. Each test uses its own random resource and client ids, so a shared engine
 * in use is not disturbed beyond the load; what it leaves expires with its leases.
 */
@Command(
        name = "tck",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the DLM TCK against the configured backend and engine, and reports each rule's tests.",
            "Exit code 0 when all passed, 6 when some failed. The whole TCK takes a minute or two."
        })
final class TckCommand implements Callable<Integer> {

    private static final Pattern RULE = Pattern.compile("[A-Z][0-9]+[a-z]?");

    @ParentCommand
    @SuppressWarnings("NullAway.Init") // injected by picocli before call()
    Dlm dlm;

    @Spec
    @SuppressWarnings("NullAway.Init") // injected by picocli before call()
    CommandSpec spec;

    @Option(
            names = "--rules",
            paramLabel = "ID",
            split = ",",
            description = "Only the tests of these rules, e.g. --rules L2,E2,F1 (default: all).")
    List<String> rules = new ArrayList<>();

    @Option(
            names = "--timeout-multiplier",
            paramLabel = "X",
            description =
                    "Multiplies every wait and tolerance of the TCK, for a slow engine or network" + " (default: 1).")
    @Nullable
    Double multiplier;

    /** Created by picocli. */
    TckCommand() {}

    @Override
    public Integer call() {
        List<String> prefixes = rulePrefixes();
        setMultiplier();
        Dlm.Target target = dlm.target();
        EngineUnderTest engine = probe(target);
        engine.select();

        PrintWriter out = spec.commandLine().getOut();
        TckReport report = new TckReport(out, dlm.json);
        report.begin(engine, TckTimings.multiplier());
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(ConfiguredEngineTck.forEngine(engine)))
                .filters((PostDiscoveryFilter) test -> included(test, prefixes))
                .build();
        LauncherFactory.create().execute(request, report);
        report.end();
        if (report.found() == 0) {
            throw new BadInputException("--rules " + String.join(",", rules) + " names no rule the TCK tests");
        }
        return report.failed() == 0 ? ExitCodes.OK : ExitCodes.TCK_FAILED;
    }

    private List<String> rulePrefixes() {
        List<String> prefixes = new ArrayList<>();
        for (String rule : rules) {
            String id = rule.strip();
            // The rule's letter may be given in lower case (l2); a suffix stays as SPEC writes it (E1a).
            id = id.isEmpty() ? id : id.substring(0, 1).toUpperCase(Locale.ROOT) + id.substring(1);
            if (!RULE.matcher(id).matches()) {
                throw new BadInputException(
                        "--rules takes rule ids such as L2 or E1a, separated by commas; '" + rule + "' is none");
            }
            prefixes.add(id + "_");
        }
        return prefixes;
    }

    /** The multiplier is read once per JVM, when the TCK first asks for it: set it before. */
    private void setMultiplier() {
        if (multiplier == null) {
            return;
        }
        if (!(multiplier > 0) || multiplier.isInfinite()) {
            throw new BadInputException("--timeout-multiplier must be a positive number, was " + multiplier);
        }
        System.setProperty(TckTimings.MULTIPLIER_PROPERTY, multiplier.toString());
        if (TckTimings.multiplier() != multiplier) {
            throw new BadInputException("--timeout-multiplier: this JVM already ran the TCK with "
                    + TckTimings.multiplier() + "; run dlm again");
        }
    }

    /**
     * Opens the backend once and asks the engine something, so that a wrong setting or an engine
     * out of reach ends the run with one line rather than a hundred failed tests; and learns from
     * the backend what the TCK must know about it.
     */
    private static EngineUnderTest probe(Dlm.Target target) {
        AtomicReference<Duration> granularity = new AtomicReference<>();
        AtomicReference<Boolean> inProcess = new AtomicReference<>();
        try (LockManager manager = LockManagers.open(
                TckBackends.decorated(target.backend(), backend -> {
                    granularity.set(backend.leaseGranularity());
                    inProcess.set(backend instanceof InProcessLockBackend);
                    return backend;
                }),
                target.settings())) {
            manager.inspect("dlm-tck-probe/" + UUID.randomUUID());
        }
        return new EngineUnderTest(target.backend(), target.settings(), granularity.get(), !inProcess.get());
    }

    private static FilterResult included(TestDescriptor test, List<String> prefixes) {
        if (prefixes.isEmpty() || !(test.getSource().orElse(null) instanceof MethodSource method)) {
            return FilterResult.included("all rules");
        }
        return FilterResult.includedIf(prefixes.stream().anyMatch(method.getMethodName()::startsWith));
    }
}
