/**
 * The {@code jdbc} backend: locks as rows of one table in PostgreSQL, MariaDB or H2.
 *
 * <p>Each acquisition is one statement that inserts the row or takes over an expired one and draws
 * the fencing token from a database sequence while it holds the row (F1); release and renewal are
 * one conditional update each (U2, H2, H3). Expiry is measured by the database's own clock (E3).
 * On PostgreSQL a release also sends {@code NOTIFY}, so {@link io.dlm.backend.jdbc.PostgresLockBackend}
 * wakes waiters without polling (L4); on the other databases the runtime polls with jittered
 * backoff. The schema of each dialect ships as a resource ({@code schema-<dialect>.sql} beside this
 * package) and is described in {@code docs/backends/jdbc.md}.
 */
@NullMarked
package io.dlm.backend.jdbc;

import org.jspecify.annotations.NullMarked;
