package io.dlm.backend.zookeeper;

import io.dlm.spi.BackendContext;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ConnectStringParser;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.data.ACL;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dlm.zookeeper.*} settings, read and checked once when a backend opens (E1a). An
 * invalid value fails with an {@link IllegalArgumentException} naming its key.
 *
 * @param connect {@code dlm.zookeeper.connect}: the ensemble, {@code host:port[,host:port...][/chroot]}
 * @param basePath {@code dlm.zookeeper.base-path}: the parent of all lock nodes
 * @param sessionTimeout {@code dlm.zookeeper.session-timeout}: how long the ensemble keeps the
 *     session, and so the locks, of a process it no longer hears from
 * @param connectionTimeout {@code dlm.zookeeper.connection-timeout}: how long a step waits for a
 *     connection before Curator gives it up
 * @param maxRetries {@code dlm.zookeeper.retry.max-retries}: how often a step is retried after a
 *     lost connection, within {@code dlm.operation.timeout}
 * @param retryBaseSleep {@code dlm.zookeeper.retry.base-sleep}: the first pause before a retry,
 *     doubled each time
 * @param digest {@code dlm.zookeeper.auth.digest}: {@code user:password} for ZooKeeper's digest
 *     scheme, or {@code null}
 * @param acl {@code dlm.zookeeper.acl}: the ACL of the nodes created
 * @param tls {@code dlm.zookeeper.tls.*}: TLS to the ensemble, or {@code null} for plain text
 */
record ZooKeeperSettings(
        String connect,
        String basePath,
        Duration sessionTimeout,
        Duration connectionTimeout,
        int maxRetries,
        Duration retryBaseSleep,
        @Nullable String digest,
        List<ACL> acl,
        @Nullable TlsSettings tls) {

    static final String CONNECT = "dlm.zookeeper.connect";
    static final String BASE_PATH = "dlm.zookeeper.base-path";
    static final String SESSION_TIMEOUT = "dlm.zookeeper.session-timeout";
    static final String CONNECTION_TIMEOUT = "dlm.zookeeper.connection-timeout";
    static final String MAX_RETRIES = "dlm.zookeeper.retry.max-retries";
    static final String RETRY_BASE_SLEEP = "dlm.zookeeper.retry.base-sleep";
    static final String AUTH_DIGEST = "dlm.zookeeper.auth.digest";
    static final String ACL_KEY = "dlm.zookeeper.acl";

    private static final Set<String> KEYS = Set.of(
            CONNECT,
            BASE_PATH,
            SESSION_TIMEOUT,
            CONNECTION_TIMEOUT,
            MAX_RETRIES,
            RETRY_BASE_SLEEP,
            AUTH_DIGEST,
            ACL_KEY);

    /**
     * The shortest {@code dlm.operation.timeout} this backend takes. ZooKeeper's request timeout
     * and Curator's waits when closing are whole milliseconds, in which 0 means no bound at all.
     */
    static final Duration MIN_OPERATION_TIMEOUT = Duration.ofMillis(1);

    private static final System.Logger LOG = System.getLogger(ZooKeeperSettings.class.getName());

    /**
     * Reads the settings.
     *
     * @param context the runtime's settings
     * @return the checked settings
     * @throws IllegalArgumentException naming the key of a missing or invalid value
     */
    static ZooKeeperSettings from(BackendContext context) {
        String connect = context.property(CONNECT)
                .map(String::trim)
                .filter(value -> !value.isEmpty())
                .orElseThrow(() -> new IllegalArgumentException(
                        CONNECT + " is required: the ZooKeeper ensemble, e.g. zk1:2181,zk2:2181,zk3:2181"));
        checkConnect(connect);
        checkOperationTimeout(context.operationTimeout());
        String basePath = basePath(context.property(BASE_PATH).orElse("/dlm/locks"));
        Duration sessionTimeout =
                millisAsInt(SESSION_TIMEOUT, context.duration(SESSION_TIMEOUT, Duration.ofSeconds(15)));
        Duration connectionTimeout =
                millisAsInt(CONNECTION_TIMEOUT, context.duration(CONNECTION_TIMEOUT, Duration.ofSeconds(5)));
        int maxRetries = maxRetries(context.property(MAX_RETRIES).orElse("3"));
        Duration retryBaseSleep = context.duration(RETRY_BASE_SLEEP, Duration.ofMillis(50));
        String digest = context.property(AUTH_DIGEST).orElse(null);
        if (digest != null && (digest.indexOf(':') <= 0)) {
            throw new IllegalArgumentException("Invalid value for " + AUTH_DIGEST + ": expected user:password");
        }
        TlsSettings tls = TlsSettings.from(context);
        Optional<String> aclSetting = context.property(ACL_KEY);
        List<ACL> acl = acl(aclSetting.orElse(digest == null ? "open" : "creator"), digest, tls);
        if (aclSetting.isEmpty() && digest == null) {
            warnAboutOpenAcl(connect);
        }
        warnAboutUnknownKeys(context);
        return new ZooKeeperSettings(
                connect, basePath, sessionTimeout, connectionTimeout, maxRetries, retryBaseSleep, digest, acl, tls);
    }

    /**
     * The digest credentials as ZooKeeper takes them.
     *
     * @return the bytes of {@code user:password}, or {@code null} without digest auth
     */
    byte @Nullable [] digestBytes() {
        return digest == null ? null : digest.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkConnect(String connect) {
        try {
            ConnectStringParser parsed = new ConnectStringParser(connect);
            if (parsed.getServerAddresses().isEmpty()) {
                throw new IllegalArgumentException("no host");
            }
            parsed.getServerAddresses().forEach(address -> {
                if (address.getHostString().isBlank()) {
                    throw new IllegalArgumentException("empty host");
                }
            });
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + connect + "' for " + CONNECT + ": expected host:port[,host:port...][/chroot] ("
                            + e.getMessage() + ")",
                    e);
        }
    }

    private static void checkOperationTimeout(Duration timeout) {
        if (timeout.compareTo(MIN_OPERATION_TIMEOUT) < 0) {
            throw new IllegalArgumentException(BackendContext.OPERATION_TIMEOUT
                    + " must be at least 1ms for the ZooKeeper backend, not " + timeout
                    + ": ZooKeeper and Curator count it in whole milliseconds, and 0 would mean no timeout at all");
        }
    }

    private static String basePath(String value) {
        String path = value.trim();
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + BASE_PATH + ": " + e.getMessage(), e);
        }
        if (path.equals("/zookeeper") || path.startsWith("/zookeeper/")) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + BASE_PATH + ": /zookeeper is reserved by ZooKeeper");
        }
        return path;
    }

    private static Duration millisAsInt(String key, Duration duration) {
        if (duration.toMillis() < 1 || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Invalid value for " + key + ": " + duration
                    + " must be between 1 ms and " + Integer.MAX_VALUE + " ms");
        }
        return duration;
    }

    private static int maxRetries(String value) {
        int retries;
        try {
            retries = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + MAX_RETRIES + ": expected a whole number", e);
        }
        if (retries < 0 || retries > 100) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + MAX_RETRIES + ": must be between 0 and 100");
        }
        return retries;
    }

    private static List<ACL> acl(String value, @Nullable String digest, @Nullable TlsSettings tls) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "open":
                return ZooDefs.Ids.OPEN_ACL_UNSAFE;
            case "creator":
                // The creator is every identity of the session: the digest user, and the client
                // certificate's subject, which a TLS server adds as an x509 identity.
                if (digest == null && (tls == null || tls.keyStore() == null)) {
                    throw new IllegalArgumentException("Invalid value '" + value + "' for " + ACL_KEY
                            + ": 'creator' needs an identity: " + AUTH_DIGEST + ", or a client certificate ("
                            + TlsSettings.KEY_STORE + ")");
                }
                return ZooDefs.Ids.CREATOR_ALL_ACL;
            default:
                throw new IllegalArgumentException(
                        "Invalid value '" + value + "' for " + ACL_KEY + ": expected 'open' or 'creator'");
        }
    }

    private static void warnAboutOpenAcl(String connect) {
        LOG.log(
                Level.WARNING,
                "ZooKeeper lock nodes on {0} are created with the open ACL (world:anyone, all rights): any client"
                        + " of the ensemble can delete or overwrite them and so break every lock. Set {1}=user:password"
                        + " (the ACL becomes creator-only), or set {2}=open to keep open nodes on purpose.",
                connect,
                AUTH_DIGEST,
                ACL_KEY);
    }

    private static void warnAboutUnknownKeys(BackendContext context) {
        for (String key : context.properties().keySet()) {
            if (key.startsWith("dlm.zookeeper.") && !KEYS.contains(key) && !TlsSettings.KEYS.contains(key)) {
                LOG.log(
                        Level.WARNING,
                        "Unknown ZooKeeper backend setting {0}; known ones are {1} and {2}",
                        key,
                        KEYS,
                        TlsSettings.KEYS);
            }
        }
    }

    @Override
    public String toString() {
        // Never print the password.
        return "ZooKeeperSettings[connect=" + connect + ", basePath=" + basePath + ", sessionTimeout="
                + sessionTimeout + ", connectionTimeout=" + connectionTimeout + ", maxRetries=" + maxRetries
                + ", retryBaseSleep=" + retryBaseSleep + ", digest=" + (digest == null ? "none" : "****") + ", tls="
                + tls
                + "]";
    }
}
