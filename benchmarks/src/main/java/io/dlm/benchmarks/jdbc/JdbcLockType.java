package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;

/**
 * The lock implementations the JDBC benchmarks compare on one PostgreSQL.
 *
 * <ul>
 *   <li>{@link #DLM}: DLM's {@code jdbc} backend, {@code lock(r, c, 0)} then {@code unlock}: one
 *       upsert that takes a fencing token from a sequence, one conditional update with
 *       {@code pg_notify}.
 *   <li>{@link #SHEDLOCK}: ShedLock's plain JDBC provider ({@code shedlock-provider-jdbc}), lock
 *       then unlock with {@code lockAtLeastFor} zero: an update of the existing row each, with
 *       expiry computed from the client's clock and no fencing token.
 *   <li>{@link #RAW_JDBC}: the least a correct lock needs: one {@code INSERT ... ON CONFLICT DO
 *       UPDATE ... WHERE expired} (database clock) and one {@code DELETE} of the owner's row.
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
            // ShedLock's documented PostgreSQL schema.
            BenchDatabase.execute("CREATE TABLE " + table + " (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT"
                    + " NULL, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))");
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
            BenchDatabase.execute("CREATE TABLE " + table + " (name text PRIMARY KEY, owner text NOT NULL,"
                    + " expires_at timestamptz NOT NULL)");
            HikariDataSource pool = BenchDatabase.pool();
            String upsert = "INSERT INTO " + table + " AS l (name, owner, expires_at) VALUES (?, ?, clock_timestamp()"
                    + " + INTERVAL '30 seconds') ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
                    + " expires_at = EXCLUDED.expires_at WHERE l.expires_at <= clock_timestamp()";
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
                        return statement.executeUpdate() == 1;
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
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
