package io.dlm.tck.cdi;

import io.dlm.LockManager;
import io.dlm.tck.support.TemporarySystemProperties;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import jakarta.enterprise.inject.spi.Extension;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Starts CDI SE containers that play the nodes of one application: each with DLM's extension, the
 * given beans and no discovery, configured by {@code dlm.*} settings. The settings are set as system
 * properties while a container starts (the DLM extension reads MicroProfile Config or, without it,
 * the system properties) and restored afterwards, so that each node can have its own.
 */
final class CdiNodes {

    private CdiNodes() {}

    /**
     * Starts a node and opens its lock manager while its settings are set.
     *
     * @param initializer the node's initializer, with nothing added yet
     * @param settings the node's {@code dlm.*} settings
     * @param beans the beans the node deploys besides DLM's
     * @return the running node
     */
    static SeContainer start(SeContainerInitializer initializer, Map<String, String> settings, Class<?>... beans) {
        TemporarySystemProperties set = TemporarySystemProperties.set(settings);
        try {
            initializer.disableDiscovery().addBeanClasses(beans);
            // With discovery off, CDI SE loads no extension from META-INF/services: add DLM's.
            ServiceLoader.load(Extension.class).stream()
                    .filter(provider -> provider.type().getName().startsWith("io.dlm."))
                    .forEach(provider -> initializer.addExtensions(provider.get()));
            SeContainer node = initializer.initialize();
            // The manager is made on first use: use it now, while the settings are set.
            node.select(LockManager.class).get().inspect("tck-cdi-node-opened");
            return node;
        } finally {
            set.close();
        }
    }
}
