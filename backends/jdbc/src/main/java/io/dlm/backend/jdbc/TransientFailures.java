package io.dlm.backend.jdbc;

import java.sql.SQLException;
import java.util.Set;

/**
 * The failures by which a database resolves contention (deadlock, serialization failure, lock
 * wait), after which the same statement may simply run again: it was rolled back whole. Every
 * SQLState of class {@code 40} is one; each database adds its own.
 *
 * @param sqlStates further SQLStates that are
 * @param errorCodes vendor error codes that are
 */
record TransientFailures(Set<String> sqlStates, Set<Integer> errorCodes) {

    /**
     * The failures of a database after which a statement runs again.
     *
     * @param kind the database
     * @return its transient failures
     */
    static TransientFailures of(Dialect.Kind kind) {
        return switch (kind) {
            // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
            case POSTGRESQL -> new TransientFailures(Set.of("55P03"), Set.of());
            // 1213 deadlock (40001), 1205 lock wait timeout, 1020 record changed (snapshot isolation).
            case MARIADB -> new TransientFailures(Set.of(), Set.of(1205, 1213, 1020));
            // 23505: lost the race to insert a new row; HYT00: lock wait timed out.
            case H2 -> new TransientFailures(Set.of("23505", "HYT00"), Set.of());
        };
    }

    /**
     * Tells whether a failure is the database resolving contention.
     *
     * @param e the failure
     * @return whether to retry within the operation timeout
     */
    boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("40") || sqlStates.contains(state))
                || errorCodes.contains(e.getErrorCode());
    }
}
