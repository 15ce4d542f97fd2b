package io.dlm.backend.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A DataSource over real connections that counts the statements executed through it: each
 * execution is one round trip to the database (H3, and the brief's "one round trip per acquire and
 * per release").
 */
final class CountingDataSource implements DataSource {

    private final TestDatabase database;
    private final boolean autoCommit;
    final AtomicInteger executions = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();

    /** When set, every {@code getGeneratedKeys()} fails with it, after the statement has run. */
    volatile @Nullable SQLException generatedKeysFailure;

    CountingDataSource(TestDatabase database) {
        this(database, true);
    }

    /** Hands out connections with auto-commit as given, as a container's pool may. */
    CountingDataSource(TestDatabase database, boolean autoCommit) {
        this.database = database;
        this.autoCommit = autoCommit;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection real = database.connect();
        real.setAutoCommit(autoCommit);
        connections.incrementAndGet();
        return proxy(Connection.class, real, (method, result) -> {
            if (result instanceof Statement statement) {
                Class<? extends Statement> type = method.getReturnType().asSubclass(Statement.class);
                return proxy(type, statement, (call, value) -> {
                    if (call.getName().startsWith("execute")) {
                        executions.incrementAndGet();
                    }
                    SQLException failure = generatedKeysFailure;
                    if (failure != null && call.getName().equals("getGeneratedKeys")) {
                        throw failure;
                    }
                    return value;
                });
            }
            return result;
        });
    }

    private interface After {
        Object apply(java.lang.reflect.Method method, Object result) throws SQLException;
    }

    private static <T> T proxy(Class<T> type, Object target, After after) {
        InvocationHandler handler = (proxy, method, args) -> {
            try {
                return after.apply(method, method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(
                Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type}, handler));
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return new PrintWriter(System.err);
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
