package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;

/**
 * The lock implementations the JDBC benchmarks compare on one PostgreSQL (or MariaDB, see {@link
 * BenchDatabase}).
 *
 * <ul>
 *   <li>{@link #DLM}: DLM's {@code jdbc} backend, {@code lock(r, c, 0)} then {@code unlock}: on
 *       PostgreSQL an update that takes over the resource's kept row and draws a fencing token
 *       from a sequence (a second statement inserts the row the first time), on MariaDB an {@code
 *       INSERT ... ON DUPLICATE KEY UPDATE}; then one conditional update (on PostgreSQL with {@code
 *       pg_notify} when a waiter marked the lease).
 *   <li>{@link #SHEDLOCK}: ShedLock's plain JDBC provider ({@code shedlock-provider-jdbc}), lock
 *       then unlock with {@code lockAtLeastFor} zero: an update of the existing row each, with
 *       expiry computed from the client's clock and no fencing token.
 *   <li>{@link #RAW_JDBC}: the least a correct lock needs: one {@code INSERT ... ON CONFLICT DO
 *       UPDATE ... WHERE expired} (database clock; on MariaDB {@code ON DUPLICATE KEY UPDATE} with
 *       each assignment conditional on the expiry) and one {@code DELETE} of the owner's row.
 * </ul>
 */
public enum JdbcLockType {
    DLM {
        @Override
        Locks open() {
            String table = BenchDatabase.uniqueTable("dlm");
            LockManager manager = LockManagers.open("jdbc", BenchDatabase.dlmSettings(table));
            return new Locks() {
                @Override
                public Client client(String resource, String clientId) {
                    return new Client() {
                        @Override
                        public boolean acquire() {
                            return manager.lock(resource, clientId, 0);
                        }

                        @Override
                        public boolean release() {
                            return manager.unlock(resource, clientId);
                        }
                    };
                }

                @Override
                public String table() {
                    return table;
                }

                @Override
                public void close() {
                    manager.close();
                    BenchDatabase.execute("DROP TABLE " + table, "DROP SEQUENCE " + table + "_seq");
                }
            };
        }
    },
    SHEDLOCK {
        @Override
        Locks open() {
            String table = BenchDatabase.uniqueTable("shedlock");
            // ShedLock's documented schemas for PostgreSQL and for MySQL (milliseconds: its clock's).
            BenchDatabase.execute(
                    BenchDatabase.mariaDb()
                            ? "CREATE TABLE " + table + " (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP(3) NOT NULL,"
                                    + " locked_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), locked_by VARCHAR(255)"
                                    + " NOT NULL, PRIMARY KEY (name))"
                            : "CREATE TABLE " + table + " (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT NULL,"
                                    + " locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))");
            HikariDataSource pool = BenchDatabase.pool();
            JdbcLockProvider provider = new JdbcLockProvider(pool, table);
            Duration atMost = Duration.ofSeconds(30);
            return new Locks() {
                @Override
                public Client client(String resource, String clientId) {
                    return new Client() {
                        private Optional<SimpleLock> held = Optional.empty();

                        @Override
                        public boolean acquire() {
                            held = provider.lock(new LockConfiguration(Instant.now(), resource, atMost, Duration.ZERO));
                            return held.isPresent();
                        }

                        @Override
                        public boolean release() {
                            if (held.isEmpty()) {
                                return false;
                            }
                            held.get().unlock();
                            held = Optional.empty();
                            return true;
                        }
                    };
                }

                @Override
                public String table() {
                    return table;
                }

                @Override
                public void close() {
                    pool.close();
                    BenchDatabase.execute("DROP TABLE " + table);
                }
            };
        }
    },
    RAW_JDBC {
        @Override
        Locks open() {
            String table = BenchDatabase.uniqueTable("raw");
            HikariDataSource pool;
            String upsert;
            if (BenchDatabase.mariaDb()) {
                BenchDatabase.execute("CREATE TABLE " + table + " (name VARCHAR(255) PRIMARY KEY, owner VARCHAR(255)"
                        + " NOT NULL, expires_at DATETIME(6) NOT NULL) ENGINE=InnoDB");
                // Affected rows, not found rows: 1 inserted, 2 taken over, 0 refused (left as it was).
                pool = BenchDatabase.pool(Map.of("useAffectedRows", "true"));
                // The first assignment leaves expires_at as it was, so the second sees the same expiry.
                upsert = "INSERT INTO " + table + " (name, owner, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6)"
                        + " + INTERVAL 30 SECOND) ON DUPLICATE KEY UPDATE"
                        + " owner = IF(expires_at <= UTC_TIMESTAMP(6), VALUES(owner), owner),"
                        + " expires_at = IF(expires_at <= UTC_TIMESTAMP(6), VALUES(expires_at), expires_at)";
            } else {
                BenchDatabase.execute("CREATE TABLE " + table + " (name text PRIMARY KEY, owner text NOT NULL,"
                        + " expires_at timestamptz NOT NULL)");
                pool = BenchDatabase.pool();
                upsert = "INSERT INTO " + table + " AS l (name, owner, expires_at) VALUES (?, ?, clock_timestamp()"
                        + " + INTERVAL '30 seconds') ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
                        + " expires_at = EXCLUDED.expires_at WHERE l.expires_at <= clock_timestamp()";
            }
            String delete = "DELETE FROM " + table + " WHERE name = ? AND owner = ?";
            return new Locks() {
                @Override
                public Client client(String resource, String clientId) {
                    return new Client() {
                        @Override
                        public boolean acquire() {
                            return update(upsert, resource, clientId);
                        }

                        @Override
                        public boolean release() {
                            return update(delete, resource, clientId);
                        }
                    };
                }

                private boolean update(String sql, String resource, String clientId) {
                    try (Connection connection = pool.getConnection();
                            PreparedStatement statement = connection.prepareStatement(sql)) {
                        statement.setString(1, resource);
                        statement.setString(2, clientId);
                        return statement.executeUpdate() >= 1;
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public String table() {
                    return table;
                }

                @Override
                public void close() {
                    pool.close();
                    BenchDatabase.execute("DROP TABLE " + table);
                }
            };
        }
    };

    /**
     * Creates the implementation's table and connections.
     *
     * @return the open implementation
     */
    abstract Locks open();

    /** An open implementation. */
    interface Locks extends AutoCloseable {
        /**
         * A client that locks one resource.
         *
         * @param resource the resource
         * @param clientId the client's id
         * @return the client
         */
        Client client(String resource, String clientId);

        /**
         * The table this implementation keeps its locks in, for {@link JdbcPairCost}.
         *
         * @return its unqualified name
         */
        String table();

        /** Closes connections and drops the table. */
        @Override
        void close();
    }

    /** One client on one resource. */
    interface Client {
        /**
         * Tries once to take the resource.
         *
         * @return whether it was taken
         */
        boolean acquire();

        /**
         * Gives the resource back.
         *
         * @return whether it was held
         */
        boolean release();
    }
}
