package io.dlm.backend.jdbc;

/** The least operation timeout (X1, E1a) on PostgreSQL. */
class PostgresOperationTimeoutTest extends JdbcOperationTimeoutTck {

    PostgresOperationTimeoutTest() {
        super(TestDatabase.POSTGRESQL);
    }
}
