package io.dlm.backend.zookeeper;

import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.admin.ZooKeeperAdmin;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;

/**
 * Builds the one Curator client, and so the one ZooKeeper session, of a backend.
 *
 * <p>Curator keeps the session: it connects, reconnects, starts a new session after an expiry,
 * adds the digest credentials and hands out the current ZooKeeper handle. It does not retry
 * steps ({@link RetryNTimes} with no retries), because {@link ZooKeeperCalls} must bound each call
 * by the operation timeout and must know when a step may already have been applied.
 *
 * <p>Every thread the client starts is named {@code dlm-zookeeper-<n>-...}: Curator's through its
 * thread factory; ZooKeeper's send and event threads take their names from the thread that builds
 * the handle, so the handle is built on a short-lived thread of that name. With TLS, ZooKeeper's
 * Netty socket adds an event loop thread that ZooKeeper names ({@code zkNetty-NioEventLoopGroup-...}),
 * which ends shortly after {@code close}.
 *
 * <p>Settings reach this client through its own {@link ZKClientConfig} only, TLS included
 * ({@link TlsSettings#applyTo}), never through system properties: two managers in one JVM may use
 * different ensembles, stores and identities.
 */
final class CuratorClients {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private CuratorClients() {}

    /**
     * A name for the threads of one more backend.
     *
     * @return {@code dlm-zookeeper-<n>}
     */
    static String nextName() {
        return "dlm-zookeeper-" + INSTANCES.incrementAndGet();
    }

    /**
     * Builds a client; the caller starts and closes it.
     *
     * @param settings the backend's settings
     * @param operationTimeoutMillis bounds ZooKeeper's own blocking calls (closing the session)
     * @param name from {@link #nextName()}: the prefix of every thread the client starts
     * @return the client, not yet started
     */
    static CuratorFramework build(ZooKeeperSettings settings, int operationTimeoutMillis, String name) {
        ZKClientConfig config = new ZKClientConfig();
        // Bounds the synchronous calls ZooKeeper makes for itself, i.e. closing the session (C1).
        config.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, Integer.toString(operationTimeoutMillis));
        TlsSettings tls = settings.tls();
        if (tls != null) {
            tls.applyTo(config);
        }
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(settings.connect())
                .sessionTimeoutMs((int) settings.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) settings.connectionTimeout().toMillis())
                .retryPolicy(new RetryNTimes(0, 0))
                .threadFactory(new NamedThreads(name + "-curator-"))
                .zookeeperFactory(new NamedZooKeeperFactory(name))
                .zkClientConfig(config)
                // No watch on /zookeeper/config: this backend leaves no watch it did not need (L5).
                .ensembleTracker(false)
                .defaultData(new byte[0])
                .waitForShutdownTimeoutMs(operationTimeoutMillis)
                .maxCloseWaitMs(operationTimeoutMillis)
                .aclProvider(new FixedAcl(settings.acl()));
        byte[] digest = settings.digestBytes();
        if (digest != null) {
            builder.authorization("digest", digest);
        }
        return builder.build();
    }

    /** Daemon threads with a common prefix and a sequence number. */
    private static final class NamedThreads implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger sequence = new AtomicInteger();

        NamedThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, prefix + sequence.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }

    /** Builds each ZooKeeper handle on a thread whose name its own threads inherit. */
    private static final class NamedZooKeeperFactory implements ZookeeperFactory {
        private final String name;

        NamedZooKeeperFactory(String name) {
            this.name = name;
        }

        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly)
                throws Exception {
            return newZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, new ZKClientConfig());
        }

        @Override
        public ZooKeeper newZooKeeper(
                String connectString,
                int sessionTimeout,
                Watcher watcher,
                boolean canBeReadOnly,
                ZKClientConfig zkClientConfig)
                throws Exception {
            AtomicReference<Object> built = new AtomicReference<>();
            Thread builder = new Thread(
                    () -> {
                        try {
                            built.set(new ZooKeeperAdmin(
                                    connectString, sessionTimeout, watcher, canBeReadOnly, zkClientConfig));
                        } catch (Exception | Error e) {
                            built.set(e);
                        }
                    },
                    name);
            builder.start();
            builder.join();
            Object result = built.get();
            if (result instanceof ZooKeeper zooKeeper) {
                return zooKeeper;
            }
            if (result instanceof Error error) {
                throw error;
            }
            throw (Exception) result;
        }
    }

    /** The same ACL for every node this backend creates, the base path's parents included. */
    private static final class FixedAcl implements ACLProvider {
        private final List<ACL> acl;

        FixedAcl(List<ACL> acl) {
            this.acl = acl;
        }

        @Override
        public List<ACL> getDefaultAcl() {
            return acl;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return acl;
        }
    }
}
