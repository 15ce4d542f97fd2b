package io.dlm.backend.zookeeper;

import io.dlm.spi.BackendContext;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.KeyStoreFileType;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.common.X509Util;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dlm.zookeeper.tls.*} settings: TLS to the ensemble through ZooKeeper's Netty socket,
 * checked when the backend opens (E1a) and handed to the one client of this backend only, never
 * to system properties, so that two managers in one JVM may talk to different ensembles.
 *
 * <p>The stores are read once here, exactly as ZooKeeper will read them (its own loaders, a missing
 * password taken as empty as ZooKeeper takes it): a file, type or password ZooKeeper could not use
 * fails {@code open} with an {@link IllegalArgumentException} naming its key, instead of a client
 * that retries its handshake until every call times out.
 *
 * @param trustStore {@code dlm.zookeeper.tls.trust-store}: the authorities trusted to have signed the
 *     servers' certificates, or {@code null} for the JVM's default ones
 * @param trustStorePassword {@code dlm.zookeeper.tls.trust-store-password}, or {@code null}
 * @param trustStoreType {@code dlm.zookeeper.tls.trust-store-type}, or {@code null} to infer it from
 *     the file name
 * @param keyStore {@code dlm.zookeeper.tls.key-store}: the client's key and certificate chain, or
 *     {@code null} without a client certificate
 * @param keyStorePassword {@code dlm.zookeeper.tls.key-store-password}, or {@code null}
 * @param keyStoreType {@code dlm.zookeeper.tls.key-store-type}, or {@code null} to infer it from
 *     the file name
 */
record TlsSettings(
        @Nullable Path trustStore,
        @Nullable String trustStorePassword,
        @Nullable String trustStoreType,
        @Nullable Path keyStore,
        @Nullable String keyStorePassword,
        @Nullable String keyStoreType) {

    static final String ENABLED = "dlm.zookeeper.tls.enabled";
    static final String TRUST_STORE = "dlm.zookeeper.tls.trust-store";
    static final String TRUST_STORE_PASSWORD = "dlm.zookeeper.tls.trust-store-password";
    static final String TRUST_STORE_TYPE = "dlm.zookeeper.tls.trust-store-type";
    static final String KEY_STORE = "dlm.zookeeper.tls.key-store";
    static final String KEY_STORE_PASSWORD = "dlm.zookeeper.tls.key-store-password";
    static final String KEY_STORE_TYPE = "dlm.zookeeper.tls.key-store-type";

    static final Set<String> KEYS = Set.of(
            ENABLED,
            TRUST_STORE,
            TRUST_STORE_PASSWORD,
            TRUST_STORE_TYPE,
            KEY_STORE,
            KEY_STORE_PASSWORD,
            KEY_STORE_TYPE);

    /**
     * Reads and checks the settings.
     *
     * @param context the runtime's settings
     * @return the TLS settings, or {@code null} when {@code dlm.zookeeper.tls.enabled} is not
     *     {@code true}
     * @throws IllegalArgumentException naming the key of an invalid value, or of a store that
     *     cannot be read
     */
    static @Nullable TlsSettings from(BackendContext context) {
        boolean enabled = enabled(context.property(ENABLED).orElse("false"));
        if (!enabled) {
            // A store given with TLS off would silently send everything in plain text.
            for (String key : KEYS) {
                if (!key.equals(ENABLED) && context.property(key).isPresent()) {
                    throw new IllegalArgumentException(
                            key + " is set but " + ENABLED + " is not true: set " + ENABLED + "=true to use TLS");
                }
            }
            return null;
        }
        Path trustStore = file(context, TRUST_STORE);
        String trustStorePassword = requiresStore(context, TRUST_STORE_PASSWORD, trustStore, TRUST_STORE);
        String trustStoreType = type(context, TRUST_STORE_TYPE, trustStore, TRUST_STORE);
        Path keyStore = file(context, KEY_STORE);
        String keyStorePassword = requiresStore(context, KEY_STORE_PASSWORD, keyStore, KEY_STORE);
        String keyStoreType = type(context, KEY_STORE_TYPE, keyStore, KEY_STORE);
        TlsSettings tls = new TlsSettings(
                trustStore, trustStorePassword, trustStoreType, keyStore, keyStorePassword, keyStoreType);
        tls.checkTrustStore();
        tls.checkKeyStore();
        return tls;
    }

    /**
     * Sets up {@code config}, the configuration of one client, for TLS with these stores. A store
     * left out here is cleared rather than taken from a {@code zookeeper.ssl.*} system property, so
     * the manager's settings alone say which key and which authorities it uses.
     *
     * @param config the client's configuration
     */
    void applyTo(ZKClientConfig config) {
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        // Only ZooKeeper's Netty socket speaks TLS; its NIO socket, the default, does not.
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        try (ClientX509Util names = new ClientX509Util()) {
            config.setProperty(names.getSslTruststoreLocationProperty(), pathOrNull(trustStore));
            config.setProperty(names.getSslTruststorePasswdProperty(), trustStorePassword);
            config.setProperty(names.getSslTruststorePasswdPathProperty(), null);
            config.setProperty(names.getSslTruststoreTypeProperty(), trustStoreType);
            config.setProperty(names.getSslKeystoreLocationProperty(), pathOrNull(keyStore));
            config.setProperty(names.getSslKeystorePasswdProperty(), keyStorePassword);
            config.setProperty(names.getSslKeystorePasswdPathProperty(), null);
            config.setProperty(names.getSslKeystoreTypeProperty(), keyStoreType);
        }
    }

    private static @Nullable String pathOrNull(@Nullable Path path) {
        return path == null ? null : path.toString();
    }

    private static boolean enabled(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default ->
                throw new IllegalArgumentException(
                        "Invalid value '" + value + "' for " + ENABLED + ": expected true or false");
        };
    }

    private static @Nullable Path file(BackendContext context, String key) {
        Optional<String> value = context.property(key);
        if (value.isEmpty()) {
            return null;
        }
        Path path;
        try {
            path = Path.of(value.get().trim());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(key + " is not a file name: '" + value.get() + "'", e);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException(key + " names no readable file: '" + value.get() + "'");
        }
        return path;
    }

    /** The value of a password or type key, which means nothing without its store. */
    private static @Nullable String requiresStore(
            BackendContext context, String key, @Nullable Path store, String storeKey) {
        String value = context.property(key).orElse(null);
        if (value != null && store == null) {
            throw new IllegalArgumentException(key + " is set but " + storeKey + " is not");
        }
        return value;
    }

    private static @Nullable String type(BackendContext context, String key, @Nullable Path store, String storeKey) {
        String value = requiresStore(context, key, store, storeKey);
        if (store == null) {
            return null;
        }
        try {
            // The same rule ZooKeeper applies: the setting if given, else the file's extension.
            return KeyStoreFileType.fromPropertyValueOrFileName(value, store.toString())
                    .getPropertyValue();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    (value == null
                                    ? storeKey + " '" + store + "' has no known extension: set " + key
                                    : "Invalid value '" + value + "' for " + key)
                            + " (one of JKS, PKCS12, PEM, BCFKS)",
                    e);
        }
    }

    private void checkTrustStore() {
        if (trustStore == null) {
            return;
        }
        KeyStore store;
        try {
            store = X509Util.loadTrustStore(trustStore.toString(), orEmpty(trustStorePassword), trustStoreType);
        } catch (Exception e) {
            throw unreadable(TRUST_STORE, trustStore, TRUST_STORE_PASSWORD, trustStorePassword, e);
        }
        // An empty trust store trusts no server: every handshake would fail.
        if (certificates(store) == 0) {
            throw new IllegalArgumentException(TRUST_STORE + " '" + trustStore + "' holds no certificate"
                    + (trustStorePassword == null ? " that can be read without " + TRUST_STORE_PASSWORD : ""));
        }
    }

    private void checkKeyStore() {
        if (keyStore == null) {
            return;
        }
        try {
            // Also recovers the private key with the password, as the handshake will.
            X509Util.createKeyManager(keyStore.toString(), orEmpty(keyStorePassword), keyStoreType);
        } catch (X509Exception.KeyManagerException e) {
            throw unreadable(KEY_STORE, keyStore, KEY_STORE_PASSWORD, keyStorePassword, e);
        }
    }

    private static int certificates(KeyStore store) {
        try {
            int count = 0;
            for (String alias : Collections.list(store.aliases())) {
                if (store.isCertificateEntry(alias) || store.isKeyEntry(alias)) {
                    count++;
                }
            }
            return count;
        } catch (KeyStoreException e) {
            return 0;
        }
    }

    private static IllegalArgumentException unreadable(
            String storeKey, Path store, String passwordKey, @Nullable String password, Exception e) {
        String why = rootMessage(e);
        String message = password == null
                ? storeKey + " '" + store + "' cannot be read without a password: set " + passwordKey + " (" + why + ")"
                : storeKey + " '" + store + "' cannot be read with " + passwordKey
                        + " (wrong password, or not the type its name or " + storeKey + "-type says?): " + why;
        return new IllegalArgumentException(message, e);
    }

    private static String rootMessage(Throwable e) {
        List<String> messages = new ArrayList<>();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                messages.add(cause.getMessage());
            }
        }
        return messages.isEmpty() ? e.getClass().getName() : messages.get(messages.size() - 1);
    }

    private static String orEmpty(@Nullable String password) {
        // ZooKeeper reads a store whose password is not set with an empty one.
        return password == null ? "" : password;
    }

    @Override
    public String toString() {
        // Never print a password.
        return "TlsSettings[trustStore=" + trustStore + ", trustStoreType=" + trustStoreType + ", keyStore=" + keyStore
                + ", keyStoreType=" + keyStoreType + "]";
    }
}
