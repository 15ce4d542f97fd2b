package io.dlm.backend.jdbc;

/** The fault tier on MariaDB. */
class MariaDbFaultTest extends JdbcFaultTck {
    MariaDbFaultTest() {
        super(TestDatabase.MARIADB);
    }
}
