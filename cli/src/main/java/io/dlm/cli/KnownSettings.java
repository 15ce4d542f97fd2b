package io.dlm.cli;

import java.util.Locale;
import java.util.Set;

/**
 * The {@code dlm.*} keys that {@code dlm} knows, in one place: those of the runtime and of the
 * project's backends, as their documentation and settings classes name them. The runtime keeps no
 * public list (it only warns about keys of unknown sections), so this one is the CLI's own; it
 * serves to read {@code DLM_*} variables written by MicroProfile Config's rule, and to refuse a
 * forced release when a variable names none of them.
 */
final class KnownSettings {

    /** Every key; a backend's key here is known even when the backend is not on the class path. */
    static final Set<String> KEYS = Set.of(
            // the runtime and the CDI layer
            "dlm.backend",
            "dlm.lease.factor",
            "dlm.lease.min",
            "dlm.lease.max",
            "dlm.lease.drift",
            "dlm.operation.timeout",
            "dlm.heartbeat.interval",
            "dlm.heartbeat.threads",
            "dlm.wait.recheck",
            "dlm.interceptor.priority",
            "dlm.client-id",
            "dlm.leadership.names",
            "dlm.leadership.lease",
            // redis
            "dlm.redis.uri",
            "dlm.redis.key-prefix",
            "dlm.redis.cluster",
            "dlm.redis.connect-timeout",
            "dlm.redis.replica-acks",
            // jdbc
            "dlm.jdbc.url",
            "dlm.jdbc.user",
            "dlm.jdbc.password",
            "dlm.jdbc.table",
            "dlm.jdbc.dialect",
            "dlm.jdbc.datasource",
            "dlm.jdbc.create-table",
            "dlm.jdbc.pool-size",
            "dlm.jdbc.reap-interval",
            "dlm.jdbc.retention",
            // etcd
            "dlm.etcd.endpoints",
            "dlm.etcd.namespace",
            "dlm.etcd.user",
            "dlm.etcd.password",
            "dlm.etcd.connect-timeout",
            "dlm.etcd.tls.ca",
            "dlm.etcd.tls.cert",
            "dlm.etcd.tls.key",
            // zookeeper
            "dlm.zookeeper.connect",
            "dlm.zookeeper.base-path",
            "dlm.zookeeper.acl",
            "dlm.zookeeper.auth.digest",
            "dlm.zookeeper.connection-timeout",
            "dlm.zookeeper.session-timeout",
            "dlm.zookeeper.retry.base-sleep",
            "dlm.zookeeper.retry.max-retries",
            "dlm.zookeeper.tls.enabled",
            "dlm.zookeeper.tls.key-store",
            "dlm.zookeeper.tls.key-store-password",
            "dlm.zookeeper.tls.key-store-type",
            "dlm.zookeeper.tls.trust-store",
            "dlm.zookeeper.tls.trust-store-password",
            "dlm.zookeeper.tls.trust-store-type");

    private KnownSettings() {}

    /**
     * The environment variable that MicroProfile Config reads a key from: each character other than
     * a letter or digit becomes {@code _}, and the whole is upper-cased.
     *
     * @param key a {@code dlm.*} key
     * @return its variable name, e.g. {@code DLM_REDIS_KEY_PREFIX} for {@code dlm.redis.key-prefix}
     */
    static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
