package io.dlm.backend.redis;

import io.dlm.spi.BackendContext;
import io.lettuce.core.RedisURI;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code dlm.redis.*} settings of one backend instance, checked before anything connects
 * (E1a): an invalid value fails {@code open} with an {@link IllegalArgumentException} naming its key;
 * an unknown {@code dlm.redis.*} key is logged as a warning.
 *
 * @param uris where Redis is: one standalone or Sentinel URI, or the seed nodes of a Cluster
 * @param cluster whether to talk to a Redis Cluster
 * @param keyPrefix what every key and channel of this lock space starts with
 * @param connectTimeout how long opening a connection may take
 * @param operationTimeout how long one engine call may take ({@code dlm.operation.timeout}, X1)
 * @param replicaAcks how many replicas must have an acquisition before it is reported acquired
 *     ({@code WAIT}); 0 for none
 */
record RedisSettings(
        List<RedisURI> uris,
        boolean cluster,
        String keyPrefix,
        Duration connectTimeout,
        Duration operationTimeout,
        int replicaAcks) {

    /** Where Redis is: {@code redis://}, {@code rediss://}, {@code redis-sentinel://} URIs. */
    static final String URI = "dlm.redis.uri";

    /** {@code true} to use Redis Cluster with a single seed URI; a list of URIs implies it. */
    static final String CLUSTER = "dlm.redis.cluster";

    /** The key prefix, default {@value #DEFAULT_KEY_PREFIX}. */
    static final String KEY_PREFIX = "dlm.redis.key-prefix";

    /** How long opening a connection may take; defaults to {@code dlm.operation.timeout}. */
    static final String CONNECT_TIMEOUT = "dlm.redis.connect-timeout";

    /**
     * How many replicas must confirm an acquisition ({@code WAIT}) before it is reported acquired;
     * default 0. Not with a Cluster.
     */
    static final String REPLICA_ACKS = "dlm.redis.replica-acks";

    /**
     * The shortest {@code dlm.operation.timeout} and connect timeout this backend takes. Netty,
     * Lettuce and the backend's own waits count them in whole milliseconds, where 0 means no bound
     * at all: a connect without a timeout, a close that waits for ever for a reconnecting thread.
     */
    static final Duration MIN_TIMEOUT = Duration.ofMillis(1);

    static final String DEFAULT_URI = "redis://127.0.0.1:6379";
    static final String DEFAULT_KEY_PREFIX = "dlm:";

    private static final System.Logger LOG = System.getLogger(RedisSettings.class.getName());

    private static final String OWN_PREFIX = "dlm.redis.";
    private static final Set<String> KNOWN = Set.of(URI, CLUSTER, KEY_PREFIX, CONNECT_TIMEOUT, REPLICA_ACKS);

    /** Separates the URIs of a list: a comma followed by a scheme (a Sentinel URI has bare commas). */
    private static final Pattern URI_SEPARATOR = Pattern.compile("\\s*,\\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)");

    /**
     * Reads and checks the settings.
     *
     * @param context the runtime's settings
     * @return the settings
     * @throws IllegalArgumentException naming the key of an invalid {@code dlm.redis.*} setting; an
     *     unknown one is logged as a warning (E1a)
     */
    static RedisSettings parse(BackendContext context) {
        warnAboutUnknownKeys(context);
        Duration operationTimeout = atLeastOneMillisecond(BackendContext.OPERATION_TIMEOUT, context.operationTimeout());
        Duration connectTimeout =
                atLeastOneMillisecond(CONNECT_TIMEOUT, context.duration(CONNECT_TIMEOUT, operationTimeout));
        String prefix = context.property(KEY_PREFIX).orElse(DEFAULT_KEY_PREFIX);
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw new IllegalArgumentException(KEY_PREFIX + " must not contain '{' or '}': the braces after it are"
                    + " the Redis Cluster hash tag of each lock (got '" + prefix + "')");
        }
        List<RedisURI> uris = parseUris(context.property(URI).orElse(DEFAULT_URI));
        boolean cluster = parseCluster(context, uris.size());
        for (RedisURI uri : uris) {
            check(uri, cluster);
            // Lettuce bounds connecting and its handshake by the URI's timeout; commands have their own.
            uri.setTimeout(connectTimeout);
        }
        int replicaAcks = parseReplicaAcks(context, cluster);
        return new RedisSettings(List.copyOf(uris), cluster, prefix, connectTimeout, operationTimeout, replicaAcks);
    }

    private static Duration atLeastOneMillisecond(String key, Duration value) {
        if (value.compareTo(MIN_TIMEOUT) < 0) {
            throw new IllegalArgumentException(key + " must be at least 1ms for the Redis backend, not " + value
                    + ": its client counts timeouts in whole milliseconds, and 0 would mean no timeout at all");
        }
        return value;
    }

    private static int parseReplicaAcks(BackendContext context, boolean cluster) {
        String value = context.property(REPLICA_ACKS).orElse(null);
        if (value == null) {
            return 0;
        }
        int acks;
        try {
            acks = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            acks = -1;
        }
        if (acks < 0) {
            throw new IllegalArgumentException(
                    REPLICA_ACKS + " must be a whole number of replicas, 0 or more, not '" + value + "'");
        }
        if (cluster && acks > 0) {
            // WAIT counts the replicas of the node it is sent to; the backend would have to send it to
            // each slot's node on the connection that carried the acquisition, which it does not do.
            throw new IllegalArgumentException(REPLICA_ACKS + " is not supported with a Redis Cluster (got " + acks
                    + "); use a primary with replicas behind Sentinel, or 0");
        }
        return acks;
    }

    private static void warnAboutUnknownKeys(BackendContext context) {
        Set<String> unknown = new TreeSet<>();
        for (String key : context.properties().keySet()) {
            if (key.startsWith(OWN_PREFIX) && !KNOWN.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            // Loudly, since a misspelt key silently falls back to a default, e.g. a local Redis;
            // but a warning, not an error (E1a): a key of a newer version must not stop this one.
            LOG.log(
                    Level.WARNING,
                    "Unknown Redis setting {0}, ignored (known: {1})",
                    String.join(", ", unknown),
                    new TreeSet<>(KNOWN));
        }
    }

    private static List<RedisURI> parseUris(String value) {
        String trimmed = value.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException(URI + " must not be empty");
        }
        List<RedisURI> uris = new ArrayList<>();
        for (String part : URI_SEPARATOR.split(trimmed)) {
            try {
                uris.add(RedisURI.create(part));
            } catch (RuntimeException e) {
                // Lettuce's message may quote the URI, password and all: mask it, and keep no cause.
                String reason = String.valueOf(e.getMessage()).replace(part, withoutCredentials(part));
                throw new IllegalArgumentException(URI + " is not a valid Redis URI: '" + withoutCredentials(part)
                        + "' (" + withoutCredentials(reason) + ")");
            }
        }
        return uris;
    }

    private static boolean parseCluster(BackendContext context, int uriCount) {
        String value = context.property(CLUSTER).orElse(null);
        boolean cluster;
        if (value == null) {
            cluster = uriCount > 1;
        } else {
            cluster = switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(CLUSTER + " must be true or false, not '" + value + "'");
            };
        }
        if (!cluster && uriCount > 1) {
            throw new IllegalArgumentException(URI + " lists " + uriCount + " URIs, which only a Redis Cluster takes,"
                    + " but " + CLUSTER + " is false");
        }
        return cluster;
    }

    private static void check(RedisURI uri, boolean cluster) {
        boolean sentinel = !uri.getSentinels().isEmpty();
        if (cluster && sentinel) {
            throw new IllegalArgumentException(URI + ": a Redis Cluster is not reached through Sentinel;"
                    + " give the URIs of cluster nodes (redis:// or rediss://)");
        }
        if (cluster && uri.getSocket() != null) {
            throw new IllegalArgumentException(URI + ": a Redis Cluster is not reached through a Unix socket");
        }
        if (cluster && uri.getDatabase() != 0) {
            throw new IllegalArgumentException(URI + ": a Redis Cluster has only database 0, not " + uri.getDatabase());
        }
    }

    /** The URI as text with any user name and password replaced, fit for an error message. */
    static String withoutCredentials(String uri) {
        return uri.replaceAll("(?<=://)[^@/]+@", "***@");
    }
}
