package io.dlm.cdi;

import io.dlm.spi.Durations;
import io.dlm.spi.LeaseLengths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The configuration the CDI layer reads once at deployment: MicroProfile Config when an
 * implementation is present, otherwise the system properties (D1, D6).
 */
final class DlmConfig {

    /** The key that names the backend (D1). */
    static final String BACKEND = "dlm.backend";
    /** The key that fixes the runtime's keep-alive period, for intercepted methods too (D2, K1). */
    static final String HEARTBEAT_INTERVAL = "dlm.heartbeat.interval";
    /** The key that changes the interceptor's priority. */
    static final String INTERCEPTOR_PRIORITY = "dlm.interceptor.priority";

    /**
     * The runtime's own settings (E1, E1a, X1, K1, K2), looked up by name whether or not a source
     * lists them.
     */
    private static final List<String> RUNTIME_KEYS = List.of(
            LeaseLengths.FACTOR,
            LeaseLengths.MIN,
            LeaseLengths.MAX,
            "dlm.operation.timeout",
            HEARTBEAT_INTERVAL,
            "dlm.lease.drift",
            "dlm.heartbeat.threads");

    private final ConfigReader reader;

    private DlmConfig(ConfigReader reader) {
        this.reader = reader;
    }

    /**
     * Reads the configuration of the application that is being deployed.
     *
     * @return MicroProfile Config if it is usable here, else the system properties
     */
    static DlmConfig load() {
        return new DlmConfig(ConfigReader.detect());
    }

    /**
     * Wraps a fixed map, for tests and for applications without MicroProfile Config.
     *
     * @param values the settings
     * @return a configuration that reads only {@code values}
     */
    static DlmConfig of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return new DlmConfig(new ConfigReader() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(copy.get(key));
            }

            @Override
            public Iterable<String> names() {
                return copy.keySet();
            }
        });
    }

    /**
     * One value.
     *
     * @param key the full key
     * @return the value, or empty when absent or blank
     */
    Optional<String> get(String key) {
        return reader.get(key).map(String::trim).filter(value -> !value.isEmpty());
    }

    /**
     * The backend name ({@code dlm.backend}, default {@code memory}; D1).
     *
     * @return the provider name to open
     */
    String backend() {
        return get(BACKEND).orElse("memory");
    }

    /**
     * A duration setting (E1a).
     *
     * @param key the full key
     * @return the positive duration, or empty when absent
     * @throws IllegalArgumentException naming the key when the value is invalid
     */
    Optional<Duration> duration(String key) {
        return get(key).map(value -> Durations.parsePositive(key, value));
    }

    /**
     * The settings handed to {@code LockManagers.open}: every {@code dlm.*} key except {@code
     * dlm.backend}; keys containing {@code /} are annotation overrides and never manager settings
     * (E1a, D6).
     *
     * @return a sorted, unmodifiable map
     */
    Map<String, String> managerProperties() {
        Map<String, String> properties = new TreeMap<>();
        for (String name : reader.names()) {
            if (name.startsWith("dlm.") && name.indexOf('/') < 0 && !name.equals(BACKEND)) {
                get(name).ifPresent(value -> properties.put(name, value));
            }
        }
        // A source may not list every key it answers (environment variables such as
        // DLM_LEASE_FACTOR are listed under their own spelling), so the runtime's keys are asked for.
        for (String key : RUNTIME_KEYS) {
            get(key).ifPresent(value -> properties.put(key, value));
        }
        return java.util.Collections.unmodifiableMap(properties);
    }

    /** Where values come from. */
    interface ConfigReader {

        /**
         * One value.
         *
         * @param key the full key
         * @return the raw value, or empty
         */
        Optional<String> get(String key);

        /**
         * The keys known to the source.
         *
         * @return every key name
         */
        Iterable<String> names();

        /**
         * Picks MicroProfile Config if its API and an implementation are on the class path.
         *
         * @return the reader to use
         */
        static ConfigReader detect() {
            try {
                Class.forName(
                        "org.eclipse.microprofile.config.ConfigProvider", false, DlmConfig.class.getClassLoader());
                return MicroProfileConfigReader.create();
            } catch (ClassNotFoundException
                    | LinkageError
                    | IllegalStateException
                    | java.util.ServiceConfigurationError e) {
                DlmMessages.LOG.log(
                        System.Logger.Level.DEBUG,
                        "DLM1030: MicroProfile Config not usable, reading system properties");
                return new SystemPropertiesReader();
            }
        }
    }

    /** System properties, read when MicroProfile Config is absent. */
    static final class SystemPropertiesReader implements ConfigReader {

        @Override
        public Optional<String> get(String key) {
            return Optional.ofNullable(System.getProperty(key));
        }

        @Override
        public Iterable<String> names() {
            return System.getProperties().stringPropertyNames();
        }
    }
}
