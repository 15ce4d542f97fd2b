/**
 * JMH benchmarks of DLM's {@code jdbc} backend on PostgreSQL beside ShedLock's plain JDBC provider
 * and a raw JDBC minimum (one upsert, one delete), all on the same database in one run, plus the
 * handoff latency of {@code LISTEN/NOTIFY} between two managers. The module's {@code README.md} has
 * the commands and the latest numbers.
 */
@NullMarked
package io.dlm.benchmarks.jdbc;

import org.jspecify.annotations.NullMarked;
