package io.dlm.backend.etcd;

import io.dlm.spi.BackendContext;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dlm.etcd.*} settings, checked once when a manager opens (E1a): a bad value fails
 * {@code open} with an {@link IllegalArgumentException} that names its key.
 *
 * @param endpoints the members to talk to, {@code http://} or {@code https://} URIs
 * @param namespace the key prefix under which every lock lives
 * @param tls client TLS material, or {@code null} for plain text
 * @param user the etcd user, or {@code null} when authentication is off
 * @param password the user's password, or {@code null} when authentication is off
 * @param connectTimeout how long opening a connection to a member may take
 * @param operationTimeout how long one backend operation may take in all ({@code
 *     dlm.operation.timeout}, X1)
 */
record EtcdSettings(
        List<URI> endpoints,
        String namespace,
        @Nullable Tls tls,
        @Nullable String user,
        @Nullable String password,
        Duration connectTimeout,
        Duration operationTimeout) {

    static final String ENDPOINTS = "dlm.etcd.endpoints";
    static final String NAMESPACE = "dlm.etcd.namespace";
    static final String TLS_CA = "dlm.etcd.tls.ca";
    static final String TLS_CERT = "dlm.etcd.tls.cert";
    static final String TLS_KEY = "dlm.etcd.tls.key";
    static final String USER = "dlm.etcd.user";
    static final String PASSWORD = "dlm.etcd.password";
    static final String CONNECT_TIMEOUT = "dlm.etcd.connect-timeout";

    static final String DEFAULT_NAMESPACE = "/dlm/locks/";
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private static final Set<String> KNOWN =
            Set.of(ENDPOINTS, NAMESPACE, TLS_CA, TLS_CERT, TLS_KEY, USER, PASSWORD, CONNECT_TIMEOUT);

    private static final System.Logger LOG = System.getLogger(EtcdSettings.class.getName());

    /**
     * Client TLS material, as PEM files.
     *
     * @param ca the certificate authority that signed the members' certificates, or {@code null}
     *     to trust the JVM's default authorities
     * @param cert the client certificate chain, or {@code null} without client authentication
     * @param key the client's PKCS#8 private key, with {@code cert}
     */
    record Tls(
            @Nullable Path ca,
            @Nullable Path cert,
            @Nullable Path key) {}

    /**
     * Reads and checks the settings.
     *
     * @param context the runtime's settings
     * @return the parsed settings
     * @throws IllegalArgumentException naming the key of a missing or invalid value
     */
    static EtcdSettings parse(BackendContext context) {
        warnAboutUnknownKeys(context);
        List<URI> endpoints = endpoints(context.property(ENDPOINTS));
        String namespace = context.property(NAMESPACE).orElse(DEFAULT_NAMESPACE);
        if (namespace.isEmpty()) {
            throw new IllegalArgumentException(NAMESPACE + " must not be empty: it keeps DLM's keys apart");
        }
        if (NamespaceRegistry.overlapsTheRegistry(namespace)) {
            throw new IllegalArgumentException(NAMESPACE + " '" + namespace + "' overlaps '" + NamespaceRegistry.PREFIX
                    + "', where DLM registers the namespaces in use; choose another");
        }
        Tls tls = tls(context, endpoints);
        String user = context.property(USER).orElse(null);
        String password = context.property(PASSWORD).orElse(null);
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException(
                    (user == null ? USER : PASSWORD) + " is missing: " + USER + " and " + PASSWORD + " go together");
        }
        if (user != null && user.isEmpty()) {
            throw new IllegalArgumentException(USER + " must not be empty");
        }
        if (user != null && "http".equals(endpoints.get(0).getScheme())) {
            // Allowed (a loopback or an encrypted network may be fine), but rarely meant.
            LOG.log(
                    Level.WARNING,
                    "{0} and {1} are set but {2} use http://: the password, and the token etcd gives for it,"
                            + " cross the network in plain text. Use https:// endpoints (and {3}) to protect them.",
                    USER,
                    PASSWORD,
                    ENDPOINTS,
                    TLS_CA);
        }
        Duration connectTimeout = context.duration(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT);
        if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(CONNECT_TIMEOUT + " is too long: " + connectTimeout);
        }
        return new EtcdSettings(endpoints, namespace, tls, user, password, connectTimeout, context.operationTimeout());
    }

    /**
     * The namespace as the bytes every key starts with.
     *
     * @return the UTF-8 encoded namespace
     */
    byte[] namespaceBytes() {
        return namespace.getBytes(StandardCharsets.UTF_8);
    }

    private static List<URI> endpoints(Optional<String> value) {
        String text = value.orElseThrow(() -> new IllegalArgumentException(
                ENDPOINTS + " is required: the comma-separated client URLs of the etcd cluster,"
                        + " e.g. http://10.0.0.1:2379,http://10.0.0.2:2379"));
        List<URI> endpoints = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException(ENDPOINTS + " has an empty entry: '" + text + "'");
            }
            URI uri;
            try {
                uri = new URI(trimmed);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(ENDPOINTS + " has an invalid URL '" + trimmed + "'", e);
            }
            String scheme = uri.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException(ENDPOINTS + " entries must look like http://host:port or"
                        + " https://host:port, not '" + trimmed + "'");
            }
            endpoints.add(uri);
        }
        long schemes = endpoints.stream().map(URI::getScheme).distinct().count();
        if (schemes > 1) {
            throw new IllegalArgumentException(ENDPOINTS + " mixes http and https: '" + text + "'");
        }
        return List.copyOf(endpoints);
    }

    private static @Nullable Tls tls(BackendContext context, List<URI> endpoints) {
        Path ca = file(context, TLS_CA);
        Path cert = file(context, TLS_CERT);
        Path key = file(context, TLS_KEY);
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException((cert == null ? TLS_CERT : TLS_KEY) + " is missing: " + TLS_CERT
                    + " and " + TLS_KEY + " go together");
        }
        boolean https = "https".equals(endpoints.get(0).getScheme());
        if (!https && (ca != null || cert != null)) {
            throw new IllegalArgumentException(TLS_CA + "/" + TLS_CERT + " are set but " + ENDPOINTS
                    + " uses http://; use https:// endpoints for TLS");
        }
        return https ? new Tls(ca, cert, key) : null;
    }

    private static @Nullable Path file(BackendContext context, String key) {
        Optional<String> value = context.property(key);
        if (value.isEmpty()) {
            return null;
        }
        Path path = Path.of(value.get());
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(key + " names no readable file: '" + value.get() + "'");
        }
        return path;
    }

    private static void warnAboutUnknownKeys(BackendContext context) {
        for (String key : context.properties().keySet()) {
            if (key.startsWith("dlm.etcd.") && !KNOWN.contains(key)) {
                LOG.log(Level.WARNING, "Unknown etcd setting {0}; known ones are {1}", key, KNOWN);
            }
        }
    }

    @Override
    public String toString() {
        // The password stays out of logs and exception messages.
        return "EtcdSettings[endpoints=" + endpoints + ", namespace=" + namespace + ", tls=" + tls + ", user=" + user
                + ", connectTimeout=" + connectTimeout + ", operationTimeout=" + operationTimeout + "]";
    }
}
