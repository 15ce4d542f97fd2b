/**
 * The {@code postgresql} and {@code mariadb} engines of the cross-engine benchmarks ({@link
 * io.dlm.benchmarks.jdbc.JdbcEngine}: DLM's {@code jdbc} backend beside ShedLock's plain JDBC
 * provider and a raw JDBC minimum, one upsert and one delete); {@link
 * io.dlm.benchmarks.jdbc.JdbcInterleaved} runs the three in turns for steadier ratios on a shared
 * machine, and {@link io.dlm.benchmarks.jdbc.JdbcPairCost} counts what one pair costs the client and
 * the database (round trips, CPU, WAL, HOT updates, sequence values, notifications). The module's
 * {@code README.md} has the commands and the latest numbers.
 */
@NullMarked
package io.dlm.benchmarks.jdbc;

import org.jspecify.annotations.NullMarked;
