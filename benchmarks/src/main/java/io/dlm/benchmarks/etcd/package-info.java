/**
 * The {@code etcd} engine of the cross-engine benchmarks ({@link io.dlm.benchmarks.etcd.EtcdEngine}:
 * DLM's {@code etcd} backend, jetcd's own {@code Lock} client and bare transactions, against one
 * local etcd server that each trial starts itself, the {@code etcd} binary on the {@code PATH} or
 * {@code DLM_ETCD_BINARY}), the heartbeat benchmark, and {@link io.dlm.benchmarks.etcd.EtcdPairCost},
 * which counts what one pair costs the server. See each class for what it measures and the command
 * that runs it.
 */
@NullMarked
package io.dlm.benchmarks.etcd;

import org.jspecify.annotations.NullMarked;
