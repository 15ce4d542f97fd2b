package io.dlm.backend.jdbc;

/** The least operation timeout (X1, E1a) on H2 in memory. */
class H2OperationTimeoutTest extends JdbcOperationTimeoutTck {

    H2OperationTimeoutTest() {
        super(TestDatabase.H2);
    }
}
