package io.dlm.backend.jdbc;

/** The least operation timeout (X1, E1a) on MariaDB. */
class MariaDbOperationTimeoutTest extends JdbcOperationTimeoutTck {

    MariaDbOperationTimeoutTest() {
        super(TestDatabase.MARIADB);
    }
}
