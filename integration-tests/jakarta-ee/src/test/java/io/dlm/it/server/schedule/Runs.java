package io.dlm.it.server.schedule;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Writes each node's calls of {@link ReportJob} to PostgreSQL, where the test reads them: the
 * table {@value #TABLE}, which the test creates before it deploys the nodes.
 */
@ApplicationScoped
public class Runs {

    /** The table of calls: tick (periods since the epoch), node, whether the job ran, what it threw. */
    public static final String TABLE = "dlm_it_server_scheduled_runs";

    /** Where the table is: the PostgreSQL of {@code scripts/services.sh}. */
    public static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";

    /** For the container's client proxy. */
    public Runs() {}

    /**
     * Calls the job for one tick and writes down what happened.
     *
     * @param job the job
     * @param tick the node's tick, in periods since the epoch of its clock
     * @param node the node
     */
    public void call(ReportJob job, long tick, String node) {
        Boolean ran = null;
        String failure = null;
        try {
            ran = job.run();
        } catch (RuntimeException e) {
            failure = e.toString();
        }
        // The driver's own DataSource, made after the job's first call so that nothing here loads the
        // driver before DLM's pool looks for it.
        PGSimpleDataSource database = new PGSimpleDataSource();
        database.setUrl(URL);
        database.setUser("postgres");
        try (Connection connection = database.getConnection();
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO " + TABLE + " (tick, node, ran, failure) VALUES (?, ?, ?, ?)")) {
            insert.setLong(1, tick);
            insert.setString(2, node);
            insert.setObject(3, ran);
            insert.setString(4, failure);
            insert.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("could not record tick " + tick + " of node " + node, e);
        }
    }
}
