package io.dlm.backend.jdbc;

/** The TCK's cross-process tier on PostgreSQL. */
class PostgresCrossProcessTest extends JdbcCrossProcess {
    PostgresCrossProcessTest() {
        super(TestDatabase.POSTGRESQL);
    }
}
