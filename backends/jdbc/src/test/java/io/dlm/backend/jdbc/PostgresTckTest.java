package io.dlm.backend.jdbc;

/** Runs the whole TCK on PostgreSQL. */
class PostgresTckTest extends JdbcTck {

    PostgresTckTest() {
        super(TestDatabase.POSTGRESQL);
    }
}
