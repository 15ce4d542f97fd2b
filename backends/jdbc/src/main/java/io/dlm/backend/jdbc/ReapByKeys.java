package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The reaper's run (E4) on databases without a statement that picks, deletes and updates at once
 * (MariaDB, H2), in three statements that each touch at most {@link Dialect#REAP_BATCH} rows: read
 * the keys of the rows whose mark is due, in the mark's order, without locking; delete those of
 * them that may go; move the mark of the others. The two writes find their rows by primary key, so
 * they lock only those rows: a range on {@code reap_from} would lock every row it passes, held ones
 * too (InnoDB), and a statement that counts only the rows it deletes may read the whole table.
 * Each write judges its rows again by their current version, so a row taken over or released
 * after the read is kept or moved, never deleted while it may still be needed (F1).
 *
 * @param dueKeys the keys of due rows in the mark's order: parameters retention, batch size
 * @param delete deletes the listed rows that may go: parameters {@link #keyList()}, retention,
 *     tombstone keep
 * @param moveMarks moves the listed due rows' marks: parameters keep minus retention, {@link
 *     #keyList()}, retention (due), retention and keep (gone)
 */
record ReapByKeys(String dueKeys, String delete, String moveMarks) implements Steps.Reap {

    /**
     * An {@code IN} list of {@link Dialect#REAP_BATCH} placeholders, for the statements.
     *
     * @return {@code (?, ?, ..., ?)}
     */
    static String keyList() {
        return "(" + String.join(", ", Collections.nCopies(Dialect.REAP_BATCH, "?")) + ")";
    }

    /**
     * These statements, written as templates, with a table's names in place of {@code {table}}
     * and {@code {sequence}}.
     *
     * @param table the lock table
     * @return the statements of the table
     */
    ReapByKeys forTable(TableName table) {
        return new ReapByKeys(table.sql(dueKeys), table.sql(delete), table.sql(moveMarks));
    }

    @Override
    public Dialect.Reaped reap(Connection connection, long retentionMicros, StatementBudget budget)
            throws SQLException {
        long keepMicros = Dialect.tombstoneKeepMicros(retentionMicros);
        List<byte[]> keys = new ArrayList<>();
        try (PreparedStatement statement = LeaseRows.prepare(connection, dueKeys, budget)) {
            statement.setLong(1, retentionMicros);
            statement.setInt(2, Dialect.REAP_BATCH);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    keys.add(rows.getBytes(1));
                }
            }
        }
        if (keys.isEmpty()) {
            return new Dialect.Reaped(0, 0);
        }
        int deleted;
        try (PreparedStatement statement = LeaseRows.prepare(connection, delete, budget)) {
            int next = setKeys(statement, 1, keys);
            statement.setLong(next, retentionMicros);
            statement.setLong(next + 1, keepMicros);
            deleted = statement.executeUpdate();
        }
        try (PreparedStatement statement = LeaseRows.prepare(connection, moveMarks, budget)) {
            statement.setLong(1, keepMicros - retentionMicros);
            int next = setKeys(statement, 2, keys);
            statement.setLong(next, retentionMicros);
            statement.setLong(next + 1, retentionMicros);
            statement.setLong(next + 2, keepMicros);
            // A full read means more may be due, whatever the writes found.
            return new Dialect.Reaped(deleted, statement.executeUpdate(), keys.size() >= Dialect.REAP_BATCH);
        }
    }

    /**
     * Binds the keys to the {@link Dialect#REAP_BATCH} placeholders of {@link #keyList()},
     * repeating the first for the places left over, which changes nothing in an {@code IN} list.
     *
     * @return the index of the next parameter
     */
    private static int setKeys(PreparedStatement statement, int first, List<byte[]> keys) throws SQLException {
        for (int i = 0; i < Dialect.REAP_BATCH; i++) {
            statement.setBytes(first + i, keys.get(i < keys.size() ? i : 0));
        }
        return first + Dialect.REAP_BATCH;
    }
}
