/**
 * The {@code zookeeper} engine of the cross-engine benchmarks ({@link
 * io.dlm.benchmarks.zookeeper.ZooKeeperEngine}: DLM's {@code zookeeper} backend beside Apache
 * Curator's lock recipes and a bare create and delete, against one in-process ZooKeeper server,
 * {@code curator-test}'s {@code TestingServer}, started by each trial), and {@link
 * io.dlm.benchmarks.zookeeper.ZooKeeperInterleaved}, which runs them in turns.
 */
@NullMarked
package io.dlm.benchmarks.zookeeper;

import org.jspecify.annotations.NullMarked;
