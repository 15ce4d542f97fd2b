package io.dlm.backend.jdbc;

/** Runs the whole TCK on MariaDB. */
class MariaDbTckTest extends JdbcTck {

    MariaDbTckTest() {
        super(TestDatabase.MARIADB);
    }
}
