package io.dlm.it.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.it.server.schedule.LateTimerNode;
import io.dlm.it.server.schedule.ReportJob;
import io.dlm.it.server.schedule.Runs;
import io.dlm.it.server.schedule.ScheduleNode;
import io.dlm.tck.Prerequisites;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * S1, S2 and D8 under the server's own scheduler: two applications in one WildFly, each with its own
 * CDI container and lock manager on the same PostgreSQL, act as two nodes and call the same job
 * every {@value ScheduleNode#PERIOD_MILLIS} ms, one from EJB's {@code @Schedule} on the whole second,
 * the other from an EJB timer
 * {@value LateTimerNode#LAG_MILLIS} ms later. Each tick's job runs on exactly one of them; without
 * the {@value ReportJob#HOLD_MILLIS} ms hold the late node would run it again.
 *
 * <p>The applications need EJB: the module's wildfly-ejb execution runs this test on a server
 * started with {@code standalone.xml}; elsewhere (a {@code -Dtest} that names it in another
 * execution) it does not run.
 */
@EnabledIfSystemProperty(named = "arquillian.launch", matches = "wildfly-ejb")
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class ScheduledJobOnWildFlyTest {

    private static final String SCHEDULE = "schedule";
    private static final String LATE_TIMER = "late-timer";

    /** DLM's table, shared by both nodes' managers. */
    private static final String LOCK_TABLE = "dlm_it_server_scheduled";

    /** How many ticks both nodes must have called the job for. */
    private static final int TICKS = 12;

    @ArquillianResource
    Deployer deployer;

    /**
     * Node {@value ScheduleNode#NAME}; deployed by the test, once the table of runs is there.
     *
     * @return the deployment
     */
    @Deployment(name = SCHEDULE, managed = false, testable = false)
    static WebArchive scheduleNode() {
        return node("dlm-schedule-node.war").addClass(ScheduleNode.class);
    }

    /**
     * Node {@value LateTimerNode#NAME}; deployed by the test after the other.
     *
     * @return the deployment
     */
    @Deployment(name = LATE_TIMER, managed = false, testable = false)
    static WebArchive lateTimerNode() {
        return node("dlm-late-timer-node.war").addClass(LateTimerNode.class);
    }

    private static WebArchive node(String name) {
        String config = String.join(
                "\n",
                "dlm.backend=jdbc",
                "dlm.jdbc.url=" + Runs.URL,
                "dlm.jdbc.user=postgres",
                "dlm.jdbc.table=" + LOCK_TABLE,
                "dlm.jdbc.create-table=true",
                "");
        return ShipDlmInWebInfLib.withDlm(ShrinkWrap.create(WebArchive.class, name)
                .addClasses(ReportJob.class, Runs.class)
                .addAsLibraries(jdbcLibraries())
                .addAsResource(new StringAsset(config), "META-INF/microprofile-config.properties"));
    }

    @BeforeAll
    static void createTableOfRuns() {
        execute(
                "DROP TABLE IF EXISTS " + Runs.TABLE,
                "CREATE TABLE " + Runs.TABLE
                        + " (tick BIGINT NOT NULL, node VARCHAR(40) NOT NULL, ran BOOLEAN, failure TEXT)");
    }

    @AfterAll
    static void dropTables() {
        execute(
                "DROP TABLE IF EXISTS " + Runs.TABLE,
                "DROP TABLE IF EXISTS " + LOCK_TABLE,
                "DROP SEQUENCE IF EXISTS " + LOCK_TABLE + "_seq");
    }

    @Test
    void S1_S2_aJobScheduledByTwoApplicationsRunsOncePerTick() {
        List<Call> calls;
        deployer.deploy(SCHEDULE);
        try {
            deployer.deploy(LATE_TIMER);
            try {
                calls = await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                ScheduledJobOnWildFlyTest::calls,
                                all -> completeTicks(all).size() >= TICKS);
            } finally {
                deployer.undeploy(LATE_TIMER);
            }
        } finally {
            deployer.undeploy(SCHEDULE);
        }

        assertThat(calls)
                .as("calls that threw")
                .allSatisfy(call -> assertThat(call.failure()).isNull());
        SortedMap<Long, List<String>> ranBy = new TreeMap<>();
        calls.stream()
                .filter(call -> Boolean.TRUE.equals(call.ran()))
                .forEach(call -> ranBy.computeIfAbsent(call.tick(), tick -> new ArrayList<>())
                        .add(call.node()));
        assertThat(ranBy)
                .as("nodes that ran the job, by tick")
                .allSatisfy(
                        (tick, nodes) -> assertThat(nodes).as("tick " + tick).hasSize(1));
        assertThat(ranBy)
                .as("nodes that ran the job, by tick")
                .containsKeys(completeTicks(calls).toArray(Long[]::new));
    }

    /** A node's call of the job, as it recorded it. */
    private record Call(long tick, String node, Boolean ran, String failure) {}

    /** The ticks both nodes called the job for. */
    private static List<Long> completeTicks(List<Call> calls) {
        Map<Long, List<String>> nodes = new TreeMap<>();
        calls.forEach(call ->
                nodes.computeIfAbsent(call.tick(), tick -> new ArrayList<>()).add(call.node()));
        return nodes.entrySet().stream()
                .filter(tick -> tick.getValue().containsAll(List.of(ScheduleNode.NAME, LateTimerNode.NAME)))
                .map(Map.Entry::getKey)
                .toList();
    }

    private static List<Call> calls() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT tick, node, ran, failure FROM " + Runs.TABLE)) {
            List<Call> calls = new ArrayList<>();
            while (rows.next()) {
                calls.add(new Call(rows.getLong(1), rows.getString(2), (Boolean) rows.getObject(3), rows.getString(4)));
            }
            return calls;
        }
    }

    private static void execute(String... statements) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw Prerequisites.missing(
                    "PostgreSQL at 127.0.0.1:5432, database test, user postgres (scripts/services.sh): " + e);
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(Runs.URL, "postgres", "");
    }

    private static File[] jdbcLibraries() {
        String dir = System.getProperty("dlm.it.jdbcLibs");
        if (dir == null) {
            throw new IllegalStateException("system property dlm.it.jdbcLibs (the JDBC backend's jars) is not set");
        }
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            return files.filter(p -> p.toString().endsWith(".jar"))
                    .map(Path::toFile)
                    .toArray(File[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
