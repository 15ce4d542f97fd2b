package io.dlm.backend.jdbc;

/** Runs the whole TCK on H2. */
class H2TckTest extends JdbcTck {

    H2TckTest() {
        super(TestDatabase.H2);
    }
}
