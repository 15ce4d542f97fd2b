package io.dlm.cdi;

import io.dlm.tck.support.ConfiguredContainer;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;

/**
 * A Weld SE container with the DLM extension, the given beans and per-test configuration (set as
 * system properties, which SmallRye Config reads live, and removed again on close).
 */
final class TestContainer implements AutoCloseable {

    private final ConfiguredContainer container;

    private TestContainer(Map<String, String> config, Class<?>... beans) {
        container = ConfiguredContainer.start(
                config,
                () -> new Weld()
                        .containerId("dlm-test-" + System.nanoTime())
                        .disableDiscovery()
                        // With discovery off, Weld SE skips META-INF/services; add the extension itself.
                        .addExtension(new DlmExtension())
                        .addBeanClasses(beans)
                        .initialize());
    }

    static TestContainer start(Map<String, String> config, Class<?>... beans) {
        return new TestContainer(config, beans);
    }

    static TestContainer start(Class<?>... beans) {
        return new TestContainer(Map.of(), beans);
    }

    <T> T get(Class<T> type) {
        return container.select(type);
    }

    @Override
    public void close() {
        container.close();
    }
}
