/**
 * JMH benchmarks of the {@code etcd} backend beside jetcd's own {@code Lock} client, against one
 * local etcd server that each trial starts itself (the {@code etcd} binary on the {@code PATH}, or
 * {@code DLM_ETCD_BINARY}). See each class for what it measures and the command that runs it.
 */
@NullMarked
package io.dlm.benchmarks.etcd;

import org.jspecify.annotations.NullMarked;
