/**
 * The {@code jdbc} backend: locks as rows of one table in PostgreSQL, MariaDB or H2.
 *
 * <p>An acquisition takes over an expired row or inserts a missing one (one statement, or two where
 * the dialect's takeover finds no free row: see {@code Dialect}), draws the fencing token from a
 * database sequence while it holds the row (F1) and stores the runtime's attempt id; release, renewal and the undo of an acquisition whose reply was lost are one
 * conditional update each, bound to the token or the attempt (U2, H2, H3, K4, X5). Expiry is measured by the database's own clock (E3).
 * On PostgreSQL a release also sends {@code NOTIFY}, so {@link io.dlm.backend.jdbc.PostgresLockBackend}
 * wakes waiters without polling (L4); on the other databases the runtime polls with jittered
 * backoff. The schema of each dialect ships as a resource ({@code schema-<dialect>.sql} beside this
 * package) and is described in {@code docs/backends/jdbc.md}.
 *
 * <p>What differs between the databases is data and a few steps: each has a record of its SQL for
 * the table ({@code PostgresStatements}, {@code MariaDbStatements}, {@code H2Statements}) and the
 * steps it takes its own way ({@code PostgresSteps}, {@code MariaDbSteps}, {@code H2Steps}), which
 * {@code Dialect} puts together; the rest of each operation is written once there. Only PostgreSQL
 * has a {@code ReleaseNotifier}.
 */
@NullMarked
package io.dlm.backend.jdbc;

import org.jspecify.annotations.NullMarked;
