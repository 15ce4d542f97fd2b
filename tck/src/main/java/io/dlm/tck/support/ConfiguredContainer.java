package io.dlm.tck.support;

import jakarta.enterprise.inject.se.SeContainer;
import java.lang.annotation.Annotation;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A CDI SE container configured by system properties for as long as it runs: they are set before it
 * starts and put back once it has shut down, or at once if it fails to start. Tests of the CDI layer
 * and of the health checks run their applications this way (D1: the extension reads MicroProfile
 * Config, and SmallRye Config reads system properties live). How the container is assembled
 * (discovery, extensions, beans) stays with the test.
 */
public final class ConfiguredContainer implements AutoCloseable {

    private final TemporarySystemProperties properties;
    private final SeContainer container;

    private ConfiguredContainer(TemporarySystemProperties properties, SeContainer container) {
        this.properties = properties;
        this.container = container;
    }

    /**
     * Sets {@code config}, then starts the container.
     *
     * @param config the system properties the container runs with
     * @param start assembles and starts the container
     * @return the running container, which puts the properties back when closed
     */
    public static ConfiguredContainer start(Map<String, String> config, Supplier<? extends SeContainer> start) {
        TemporarySystemProperties properties = TemporarySystemProperties.set(config);
        return new ConfiguredContainer(properties, properties.closeOnFailure(start));
    }

    /**
     * A bean of the running container.
     *
     * @param <T> its type
     * @param type its type
     * @param qualifiers its qualifiers, none for {@code @Default}
     * @return the bean (a client proxy for a normal-scoped one)
     */
    public <T> T select(Class<T> type, Annotation... qualifiers) {
        return container.select(type, qualifiers).get();
    }

    /** Shuts the container down, then puts the properties back as they were. */
    @Override
    public void close() {
        try {
            container.close();
        } finally {
            properties.close();
        }
    }
}
