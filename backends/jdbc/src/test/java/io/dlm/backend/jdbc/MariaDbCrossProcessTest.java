package io.dlm.backend.jdbc;

/** The TCK's cross-process tier on MariaDB. */
class MariaDbCrossProcessTest extends JdbcCrossProcess {
    MariaDbCrossProcessTest() {
        super(TestDatabase.MARIADB);
    }
}
