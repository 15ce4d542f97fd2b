/**
 * JMH benchmarks of DLM's {@code zookeeper} backend beside Apache Curator's lock recipes, in one
 * run against one in-process ZooKeeper server ({@code curator-test}'s {@code TestingServer})
 * started by each trial. {@link io.dlm.benchmarks.zookeeper.ZooKeeperLockType} names the clients
 * compared; each benchmark's Javadoc says what it measures and how to run it.
 */
@NullMarked
package io.dlm.benchmarks.zookeeper;

import org.jspecify.annotations.NullMarked;
