package io.dlm.samples;

import io.dlm.cdi.DlmExtension;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jboss.weld.environment.se.Weld;
import org.jboss.weld.environment.se.WeldContainer;

/**
 * The sample's entry point: starts Weld SE, lets workers compete for jobs, runs a job scheduled on
 * several nodes, elects a leader among the workers, prints a report and exits with status 1 if any
 * job was processed twice, a firing did not run exactly once, or the lead did not move.
 *
 * <p>Run it with {@code mvn -B -q install -DskipTests && mvn -B -q -pl samples exec:java}. The
 * backend is {@code memory} unless {@code -Ddlm.backend=NAME} says otherwise; any {@code -Ddlm.*}
 * system property reaches the lock manager through MicroProfile Config. {@code -Dsample.jobs} and
 * {@code -Dsample.workers} change the load.
 */
public final class SampleApp {

    /** Held so that the level set in main is not lost when the logger is collected. */
    private static final Logger WELD_LOG = Logger.getLogger("org.jboss.weld");

    private SampleApp() {}

    /**
     * Runs the sample and exits non-zero when the run was not clean.
     *
     * @param args ignored
     * @throws Exception if the run failed
     */
    public static void main(String[] args) throws Exception {
        WELD_LOG.setLevel(Level.WARNING); // Weld's start-up notes would bury the report
        SampleReport report = run(Integer.getInteger("sample.jobs", 200), Integer.getInteger("sample.workers", 6));
        report.print(System.out);
        if (!report.clean()) {
            System.exit(1);
        }
    }

    /**
     * Runs the sample in its own Weld SE container.
     *
     * @param jobs how many jobs
     * @param workers how many competing workers
     * @return the report
     * @throws Exception if the run failed
     */
    public static SampleReport run(int jobs, int workers) throws Exception {
        String backend = System.getProperty("dlm.backend", "memory");
        // The beans are listed rather than discovered, so the sample starts the same way from an IDE,
        // a test, a jar or exec:java. Without discovery Weld SE skips META-INF/services, so the DLM
        // extension is added too; in an application that uses discovery it is found by itself.
        Weld weld = new Weld("dlm-sample")
                .disableDiscovery()
                .addExtension(new DlmExtension())
                .addBeanClasses(
                        JobBoard.class,
                        Ledger.class,
                        JobProcessor.class,
                        LockStats.class,
                        ManualLocking.class,
                        JobRun.class,
                        FiringLog.class,
                        ScheduledReport.class,
                        ScheduledNodes.class,
                        LeaderElection.class);
        try (WeldContainer container = weld.initialize()) {
            return container.select(JobRun.class).get().run(backend, jobs, workers);
        }
    }
}
