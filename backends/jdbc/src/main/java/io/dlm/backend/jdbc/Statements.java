package io.dlm.backend.jdbc;

import io.dlm.spi.LockBackend;

/**
 * The SQL that every database has a statement for and {@link Dialect} runs the same way on each,
 * written once per database and table by that database's statements record ({@link
 * PostgresStatements}, {@link MariaDbStatements}, {@link H2Statements}). Ids are bound as bytes,
 * never spliced into the text (V1); only the checked table name is.
 *
 * @param check fails unless the table and its sequence exist, and changes nothing; it names {@code
 *     attempt_id} and {@code reap_from}, so that a table made before those columns fails at open
 * @param index returns a row when an index exists: parameters the table's schema (null for the
 *     connection's current one), its unqualified name and the index name, as written in the
 *     settings (each database folds them as it does unquoted names)
 * @param release ends a live lease of a client: parameters key, client, then the token twice
 *     ({@code (? = 0 OR fencing_token = ?)}, 0 being {@link LockBackend#ANY_ACQUISITION}), and on
 *     PostgreSQL the channel it notifies
 * @param renew extends a live lease of a client by its lease length: parameters as {@code release}
 *     without the channel (H1, H2, K4)
 * @param inspect reads the live lease of a key: parameter the key; columns client, token and
 *     remaining microseconds (I1)
 * @param list reads the live leases whose ids start with a prefix: parameters the length of the
 *     prefix in bytes, the prefix, and the limit; columns resource, client, token and remaining
 *     microseconds, ordered by resource (O4)
 */
record Statements(String check, String index, String release, String renew, String inspect, String list) {

    /** The check in the SQL standard's syntax for sequences, {@code NEXT VALUE FOR}, which MariaDB and H2 speak. */
    static final String STANDARD_CHECK =
            "SELECT NEXT VALUE FOR {sequence}, attempt_id, reap_from FROM {table} WHERE 1 = 0";

    /**
     * Writes a table's names into a database's templates of these statements.
     *
     * @param table the lock table
     * @param check {@link #check}, with {@code {table}} and {@code {sequence}} where the names go
     * @param index {@link #index}, likewise
     * @param release {@link #release}, likewise
     * @param renew {@link #renew}, likewise
     * @param inspect {@link #inspect}, likewise
     * @param list {@link #list}, likewise
     * @return the statements of the table
     */
    static Statements of(
            TableName table, String check, String index, String release, String renew, String inspect, String list) {
        return new Statements(
                table.sql(check),
                table.sql(index),
                table.sql(release),
                table.sql(renew),
                table.sql(inspect),
                table.sql(list));
    }
}
