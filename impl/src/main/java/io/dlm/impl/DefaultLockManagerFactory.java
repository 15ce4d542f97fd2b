package io.dlm.impl;

import io.dlm.LockAdmin;
import io.dlm.LockManager;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.LockBackendProvider;
import io.dlm.spi.LockManagerFactory;
import io.dlm.spi.Ticker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The runtime as {@link io.dlm.LockManagers} finds it: looks the backend up by name among the
 * {@link LockBackendProvider}s on the class path, parses the settings and opens a manager.
 */
public final class DefaultLockManagerFactory implements LockManagerFactory {

    private static final Set<String> PROJECT_BACKENDS = Set.of("etcd", "jdbc", "redis", "zookeeper");

    /** Creates the factory; {@link ServiceLoader} calls this. */
    public DefaultLockManagerFactory() {}

    @Override
    public LockManager open(String backend, Map<String, String> properties) {
        Named named = Named.find(backend, properties);
        return DefaultLockManager.open(named.provider(), named.settings(), named.parsed(), Ticker.system());
    }

    @Override
    public LockManager open(LockBackendProvider provider, Map<String, String> properties) {
        Map<String, String> settings = copy(properties);
        LockSettings parsed = LockSettings.parse(settings);
        List<String> names = new ArrayList<>();
        providers().forEach(p -> names.add(p.name()));
        names.add(provider.name());
        LockSettings.warnAboutUnknownKeys(settings, names);
        return DefaultLockManager.open(provider, settings, parsed, Ticker.system());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The backend is opened as for a manager, with the same settings and checks, but with no
     * loss listener: an admin holds no leases.
     */
    @Override
    public LockAdmin admin(String backend, Map<String, String> properties) {
        Named named = Named.find(backend, properties);
        return new DefaultLockAdmin(
                backend,
                named.provider()
                        .open(new DefaultBackendContext(
                                named.settings(), named.parsed(), Ticker.system(), LeaseLossListener.IGNORE)));
    }

    /**
     * A backend named by the caller, with the settings checked for it: the provider of that name,
     * the first found, and the copied and parsed settings, whose unknown keys were warned about
     * against every provider's name.
     */
    private record Named(LockBackendProvider provider, Map<String, String> settings, LockSettings parsed) {

        static Named find(String backend, Map<String, String> properties) {
            Map<String, String> settings = copy(properties);
            List<String> names = new ArrayList<>();
            LockBackendProvider chosen = null;
            for (LockBackendProvider provider : providers()) {
                names.add(provider.name());
                if (provider.name().equals(backend) && chosen == null) {
                    chosen = provider;
                }
            }
            if (chosen == null) {
                throw unknownBackend(backend, names);
            }
            LockSettings parsed = LockSettings.parse(settings);
            LockSettings.warnAboutUnknownKeys(settings, names);
            return new Named(chosen, settings, parsed);
        }
    }

    private static Map<String, String> copy(Map<String, String> properties) {
        Map<String, String> copy = new HashMap<>();
        properties.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new IllegalArgumentException("properties must not contain null keys or values (key " + key + ")");
            }
            copy.put(key, value);
        });
        return Map.copyOf(copy);
    }

    private static List<LockBackendProvider> providers() {
        List<LockBackendProvider> found = new ArrayList<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        ServiceLoader.load(
                        LockBackendProvider.class,
                        context == null ? DefaultLockManagerFactory.class.getClassLoader() : context)
                .forEach(found::add);
        if (found.stream().noneMatch(p -> p.name().equals("memory"))) {
            // The context loader may not see this jar (e.g. in a container); our own loader does.
            ServiceLoader.load(LockBackendProvider.class, DefaultLockManagerFactory.class.getClassLoader())
                    .forEach(p -> {
                        if (found.stream().noneMatch(f -> f.name().equals(p.name()))) {
                            found.add(p);
                        }
                    });
        }
        return found;
    }

    private static IllegalArgumentException unknownBackend(String backend, List<String> available) {
        String hint = PROJECT_BACKENDS.contains(backend)
                ? ": add io.dlm:dlm-backend-" + backend + " to the class path"
                : ": no provider of that name is on the class path";
        return new IllegalArgumentException(
                "No DLM backend '" + backend + "'" + hint + " (available: " + available + ")");
    }
}
