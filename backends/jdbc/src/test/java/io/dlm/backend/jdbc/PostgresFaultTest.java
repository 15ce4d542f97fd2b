package io.dlm.backend.jdbc;

/** The fault tier on PostgreSQL. */
class PostgresFaultTest extends JdbcFaultTck {
    PostgresFaultTest() {
        super(TestDatabase.POSTGRESQL);
    }
}
