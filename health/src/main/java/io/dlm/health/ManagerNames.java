package io.dlm.health;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Named;
import java.lang.annotation.Annotation;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The name under which the readiness check reports a manager bean (O2): {@value #DEFAULT} for the
 * one that {@code @Inject LockManager} gets, else its {@code @Named} name, else the simple names of
 * its qualifiers.
 */
final class ManagerNames {

    /** The name of the {@code @Default} manager, the one DLM's CDI extension produces (D1). */
    static final String DEFAULT = "default";

    private ManagerNames() {}

    static String of(Bean<?> bean) {
        if (bean.getQualifiers().stream().anyMatch(qualifier -> qualifier.annotationType() == Default.class)) {
            return DEFAULT;
        }
        if (bean.getName() != null) {
            return bean.getName();
        }
        String qualifiers = bean.getQualifiers().stream()
                .map(Annotation::annotationType)
                .filter(type -> type != Any.class && type != Named.class)
                .map(Class::getSimpleName)
                .sorted()
                .collect(Collectors.joining("+"));
        return qualifiers.isEmpty() ? DEFAULT : qualifiers;
    }

    /**
     * Keeps data keys apart when two beans get the same name (one qualifier type with different
     * members): the second becomes {@code name#2}.
     */
    static String unique(String name, Set<String> taken) {
        String candidate = name;
        for (int next = 2; !taken.add(candidate); next++) {
            candidate = name + "#" + next;
        }
        return candidate;
    }
}
