package io.dlm.backend.jdbc;

import io.dlm.spi.LockBackend;
import java.sql.Connection;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The steps of the lock table's operations that each database takes its own way; the rest of an
 * operation is the same on all, in {@link Dialect}. Each database's steps class ({@link
 * PostgresSteps}, {@link MariaDbSteps}, {@link H2Steps}) supplies them.
 *
 * @param acquire takes the resource or names its holder (L1, E2, F1)
 * @param release ends a client's live lease (U1, U2, K4)
 * @param undo ends an acquisition's lease or leaves its tombstone (X5)
 * @param renewBatch renews many leases at once (K1, N7)
 * @param reap deletes or moves the rows whose mark is due (E4)
 * @param rowLock what comes before a step that may wait for a row lock: nothing, except on H2
 */
record Steps(Acquire acquire, Release release, Undo undo, RenewBatch renewBatch, Reap reap, RowLock rowLock) {

    /** Takes the resource if it has no row or its lease is over, drawing a new token; otherwise names the holder. */
    @FunctionalInterface
    interface Acquire {
        /**
         * Runs the acquisition's statements.
         *
         * @param connection an auto-commit connection
         * @param key the resource
         * @param clientId the would-be holder in UTF-8
         * @param leaseMicros the lease length
         * @param attempt the runtime's id of this attempt, stored with a lease it makes (X5)
         * @param budget bounds each statement by what the operation has left of its timeout
         * @return the lease taken ({@link Holder#won}) or found; null when the resource turned out
         *     free, so that the runtime tries again at once
         * @throws SQLException on any failure of the database
         */
        @Nullable
        Holder acquire(
                Connection connection,
                LockKey key,
                byte[] clientId,
                long leaseMicros,
                long attempt,
                StatementBudget budget)
                throws SQLException;
    }

    /** Runs {@link Statements#release} and tells whether it ended a live lease. */
    @FunctionalInterface
    interface Release {
        /**
         * Ends a live lease of the client, of one acquisition unless the token is {@link
         * LockBackend#ANY_ACQUISITION}.
         *
         * @param connection an auto-commit connection
         * @param key the resource
         * @param clientId the holder in UTF-8
         * @param fencingToken the lease's token, or {@link LockBackend#ANY_ACQUISITION}
         * @param budget bounds each statement by what the operation has left of its timeout
         * @return whether a live lease of this client (and token) was ended
         * @throws SQLException on any failure of the database
         */
        boolean release(Connection connection, LockKey key, byte[] clientId, long fencingToken, StatementBudget budget)
                throws SQLException;

        /**
         * The release of the databases whose statement tells by its update count alone.
         *
         * @param release the statement, {@link Statements#release}
         * @return the step
         */
        static Release byUpdateCount(String release) {
            return (connection, key, clientId, fencingToken, budget) ->
                    LeaseRows.updateOwned(connection, release, key, clientId, budget, fencingToken, fencingToken);
        }
    }

    /** Undoes one attempt's acquisition, whether or not it has reached the database yet (X5). */
    @FunctionalInterface
    interface Undo {
        /**
         * Runs the undo's statements.
         *
         * @param connection an auto-commit connection
         * @param key the resource
         * @param clientId the would-be holder in UTF-8
         * @param attempt the id the failed acquisition was given
         * @param budget bounds each statement by what the operation has left of its timeout
         * @return whether the row now stands for this attempt, ended or tombstone; false when a
         *     live lease of another acquisition stays
         * @throws SQLException on any failure of the database
         */
        boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
                throws SQLException;
    }

    /** Renews many leases in one call, each with the meaning of {@link Dialect#renew}. */
    @FunctionalInterface
    interface RenewBatch {
        /**
         * Runs the renewals.
         *
         * @param connection a connection
         * @param keys the resources
         * @param clientIds the holders, as {@code keys}
         * @param fencingTokens the tokens, as {@code keys}
         * @param budget bounds each statement by what the operation has left of its timeout
         * @return the update count of each renewal, in the order of {@code keys}: {@code 1}
         *     renewed, {@code 0} refused, anything else unknown (a driver's bulk protocol may
         *     answer {@link java.sql.Statement#SUCCESS_NO_INFO})
         * @throws SQLException on any failure of the database
         */
        int[] renewAll(
                Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
                throws SQLException;
    }

    /** One run of the reaper over at most {@link Dialect#REAP_BATCH} due rows (E4). */
    @FunctionalInterface
    interface Reap {
        /**
         * Deletes the due rows that may go and moves the mark of the others.
         *
         * @param connection an auto-commit connection
         * @param retentionMicros how long a free row is kept
         * @param budget bounds each statement by what the operation has left of its timeout
         * @return what it did
         * @throws SQLException on any failure of the database
         */
        Dialect.Reaped reap(Connection connection, long retentionMicros, StatementBudget budget) throws SQLException;
    }

    /** What a step that may wait for a row lock runs after. */
    interface RowLock {

        /** Nothing before the step: the databases whose statements read the clock once the row is locked. */
        RowLock NONE = new RowLock() {
            @Override
            public <T> T around(Connection connection, LockKey key, StatementBudget budget, Step<T> step)
                    throws SQLException {
                return step.run();
            }
        };

        /**
         * Runs a step on a key's row.
         *
         * @param connection the step's connection
         * @param key the row's key
         * @param budget bounds each statement by what the operation has left of its timeout
         * @param step the step
         * @param <T> what the step returns
         * @return what the step returned
         * @throws SQLException on any failure of the database
         */
        <T> T around(Connection connection, LockKey key, StatementBudget budget, Step<T> step) throws SQLException;
    }

    /**
     * A step to run on a row.
     *
     * @param <T> what it returns
     */
    @FunctionalInterface
    interface Step<T> {
        /**
         * Runs it.
         *
         * @return its result
         * @throws SQLException on any failure of the database
         */
        T run() throws SQLException;
    }
}
