package io.dlm.cdi;

import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Reads MicroProfile Config. Loaded only after {@link DlmConfig.ConfigReader#detect()} found the
 * API, so the CDI layer still runs where MicroProfile Config is absent.
 */
final class MicroProfileConfigReader implements DlmConfig.ConfigReader {

    private final Config config;

    private MicroProfileConfigReader(Config config) {
        this.config = config;
    }

    /**
     * Opens the configuration of the deploying application.
     *
     * @return the reader
     * @throws IllegalStateException when no implementation is on the class path
     */
    static MicroProfileConfigReader create() {
        return new MicroProfileConfigReader(ConfigProvider.getConfig());
    }

    @Override
    public Optional<String> get(String key) {
        return config.getOptionalValue(key, String.class);
    }

    @Override
    public Iterable<String> names() {
        return config.getPropertyNames();
    }
}
