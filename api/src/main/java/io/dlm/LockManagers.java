package io.dlm;

import io.dlm.spi.LockManagerFactory;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/** Opens lock managers without CDI, finding backends by name with {@link ServiceLoader}. */
public final class LockManagers {

    private LockManagers() {}

    /**
     * Opens a new lock space on the named backend (C1: each call is its own lock space).
     *
     * @param backend the provider name: {@code memory}, {@code etcd}, {@code jdbc}, {@code redis},
     *     {@code zookeeper} or a third party's
     * @param properties {@code dlm.*} settings, keys with their prefix (E1a)
     * @return an open manager; close it when done
     * @throws IllegalArgumentException if no backend has that name (the message names the artifact
     *     to add) or a setting is invalid (the message names the key)
     * @throws IllegalStateException if no DLM runtime ({@code io.dlm:dlm-impl}) is on the class path
     */
    public static LockManager open(String backend, Map<String, String> properties) {
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend must name a DLM backend, e.g. \"memory\"");
        }
        Objects.requireNonNull(properties, "properties");
        return factory().open(backend, properties);
    }

    /**
     * Opens a new lock space on a backend the caller supplies, such as a JDBC backend around an
     * existing {@code DataSource}; the runtime hands the provider its context (settings, clock,
     * loss listener) and owns the backend from then on.
     *
     * @param provider opens the backend
     * @param properties {@code dlm.*} settings, keys with their prefix (E1a)
     * @return an open manager; close it when done
     * @throws IllegalArgumentException if a setting is invalid (the message names the key)
     * @throws IllegalStateException if no DLM runtime ({@code io.dlm:dlm-impl}) is on the class path
     */
    public static LockManager open(io.dlm.spi.LockBackendProvider provider, Map<String, String> properties) {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(properties, "properties");
        return factory().open(provider, properties);
    }

    /**
     * Opens an operator's view of the named backend's lock space (O4): inspect, list and force a
     * release without taking locks. The backend is found and configured as by {@link #open}, with
     * the same keys.
     *
     * @param backend the provider name, as for {@link #open}
     * @param properties {@code dlm.*} settings, keys with their prefix (E1a)
     * @return an open admin; close it when done
     * @throws IllegalArgumentException if no backend has that name or a setting is invalid (the
     *     message names the key)
     * @throws LockException with {@code INTERNAL_ERROR} when the engine cannot be reached (X1)
     * @throws IllegalStateException if no DLM runtime ({@code io.dlm:dlm-impl}) is on the class path
     */
    public static LockAdmin admin(String backend, Map<String, String> properties) {
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("backend must name a DLM backend, e.g. \"redis\"");
        }
        Objects.requireNonNull(properties, "properties");
        return factory().admin(backend, properties);
    }

    /**
     * Opens a new, private in-memory lock space; same as {@code open("memory", Map.of())}.
     *
     * @return an open manager whose locks no other manager sees
     */
    public static LockManager inMemory() {
        return open("memory", Map.of());
    }

    private static LockManagerFactory factory() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, LockManagers.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            var found = ServiceLoader.load(LockManagerFactory.class, loader).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
        }
        throw new IllegalStateException("No DLM runtime on the class path: add io.dlm:dlm-impl");
    }
}
