package io.dlm.cdi;

import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A property path of a resource placeholder such as {@code {order.customer.id}}, resolved once at
 * deployment against the declared parameter type (D2): each step is a public getter {@code
 * getX()}, then {@code isX()}, then an accessor {@code x()}, then a public field {@code x}.
 */
final class PropertyPath {

    private static final PropertyPath EMPTY = new PropertyPath(new Member[0]);

    private final Member[] steps;

    private PropertyPath(Member[] steps) {
        this.steps = steps;
    }

    /**
     * The path without steps: the argument itself.
     *
     * @return the empty path
     */
    static PropertyPath empty() {
        return EMPTY;
    }

    /**
     * Resolves the property names against a type.
     *
     * @param start the declared type of the argument
     * @param properties the names after the argument, in order
     * @param onMissing told the type and name of the first missing property
     * @return the path, or {@code null} when a property is missing
     */
    static @Nullable PropertyPath resolve(Class<?> start, List<String> properties, MissingProperty onMissing) {
        Member[] steps = new Member[properties.size()];
        Class<?> type = start;
        for (int i = 0; i < steps.length; i++) {
            Member step = find(type, properties.get(i));
            if (step == null) {
                onMissing.report(type, properties.get(i));
                return null;
            }
            if (step instanceof AccessibleObject accessible) {
                // Public members of a non-public class (a record nested in a bean, say) need this.
                accessible.trySetAccessible();
            }
            steps[i] = step;
            type = step instanceof Method method ? method.getReturnType() : ((Field) step).getType();
        }
        return new PropertyPath(steps);
    }

    /**
     * Walks the path from an argument; a {@code null} along the way yields {@code null}.
     *
     * @param argument the argument
     * @return the value at the end of the path
     */
    @Nullable
    Object valueOf(@Nullable Object argument) {
        Object value = argument;
        for (Member step : steps) {
            if (value == null) {
                return null;
            }
            value = read(step, value);
        }
        return value;
    }

    private static Object read(Member step, Object target) {
        try {
            return step instanceof Method method ? method.invoke(target) : ((Field) step).get(target);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("Reading " + step + " for a lock resource failed", cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Reading " + step + " for a lock resource is not allowed", e);
        }
    }

    private static @Nullable Member find(Class<?> type, String property) {
        if (type.isPrimitive() || type.isArray()) {
            return null;
        }
        String capitalized = Character.toUpperCase(property.charAt(0)) + property.substring(1);
        for (String name : new String[] {"get" + capitalized, "is" + capitalized, property}) {
            Method method = publicMethod(type, name);
            if (method != null) {
                return method;
            }
        }
        try {
            Field field = type.getField(property);
            return Modifier.isStatic(field.getModifiers()) ? null : field;
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static @Nullable Method publicMethod(Class<?> type, String name) {
        try {
            Method method = type.getMethod(name);
            boolean usable = method.getReturnType() != void.class && !Modifier.isStatic(method.getModifiers());
            return usable ? method : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** Receives the first property that a type does not have. */
    @FunctionalInterface
    interface MissingProperty {
        /**
         * Reports a missing property.
         *
         * @param type the type searched
         * @param property the name not found
         */
        void report(Class<?> type, String property);
    }
}
