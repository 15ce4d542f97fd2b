package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.tck.TckTimings;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * X1: a statement the database rolled back whole to resolve contention (SQLSTATE class 40:
 * deadlock, serialization failure) runs again on the connection the operation already has, while
 * its budget lasts; borrowing another would wait for the pool anew, past the operation's deadline.
 * Any other failure is not retried.
 */
class SqlExecutorRetryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void aRolledBackStatementRunsAgainOnTheSameConnection(TestDatabase database) {
        database.assumeAvailable();
        CountingDataSource connections = new CountingDataSource(database);
        SqlExecutor executor = executor(database, connections);
        AtomicInteger runs = new AtomicInteger();

        long answer = executor.execute("lock", "r", (connection, budget) -> {
            if (runs.incrementAndGet() <= 2) {
                throw new SQLException("deadlock detected", "40P01");
            }
            return selectOne(connection, budget);
        });

        assertThat(answer).isEqualTo(1);
        assertThat(runs).hasValue(3);
        assertThat(connections.connections).as("connections borrowed").hasValue(1);
    }

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void contentionThatNeverEndsFailsWithinTheOperationTimeout(TestDatabase database) {
        database.assumeAvailable();
        CountingDataSource connections = new CountingDataSource(database);
        SqlExecutor executor = executor(database, connections);
        AtomicInteger runs = new AtomicInteger();

        long start = System.nanoTime();
        assertThatThrownBy(() -> executor.execute("lock", "r", (connection, budget) -> {
                    runs.incrementAndGet();
                    selectOne(connection, budget);
                    throw new SQLException("could not serialize access", "40001");
                }))
                .isInstanceOf(LockException.class)
                .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR))
                .hasCauseInstanceOf(SQLException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(runs.get()).as("runs").isGreaterThan(1);
        assertThat(connections.connections).as("connections borrowed").hasValue(1);
        assertThat(took).isLessThanOrEqualTo(TIMEOUT.plus(TckTimings.scaledMillis(500)));
    }

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void anyOtherFailureIsNotRetried(TestDatabase database) {
        database.assumeAvailable();
        SqlExecutor executor = executor(database, new CountingDataSource(database));
        AtomicInteger runs = new AtomicInteger();

        assertThatThrownBy(() -> executor.execute("lock", "r", (connection, budget) -> {
                    runs.incrementAndGet();
                    throw new SQLException("syntax error", "42601");
                }))
                .isInstanceOf(LockException.class);
        assertThat(runs).hasValue(1);
    }

    private static SqlExecutor executor(TestDatabase database, CountingDataSource connections) {
        return new SqlExecutor(connections, Dialect.of(database.kind(), TableName.parse("dlm_unused")), TIMEOUT, false);
    }

    private static long selectOne(java.sql.Connection connection, StatementBudget budget) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT 1")) {
            budget.bound(statement);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }
}
