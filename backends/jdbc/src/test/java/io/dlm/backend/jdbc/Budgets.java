package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.time.Duration;

/** Statement budgets for tests that call a dialect directly, outside an operation of the backend. */
final class Budgets {

    private Budgets() {}

    /**
     * A budget that ends after {@code seconds}, bounding statements by the driver's query timeout.
     *
     * @param connection the connection the statements run on
     * @param seconds how long the statements may take in all
     * @return the budget
     */
    static StatementBudget seconds(Connection connection, int seconds) {
        return new StatementBudget(
                connection, System.nanoTime() + Duration.ofSeconds(seconds).toNanos(), false, true);
    }
}
