package io.dlm.cdi;

import java.util.Optional;

/**
 * Finds a config override of one {@code @DistributedLock} member with MicroProfile Fault
 * Tolerance's key scheme (D6): {@code <FQCN>/<method>/DistributedLock/<member>}, then {@code
 * <FQCN>/DistributedLock/<member>}, then {@code DistributedLock/<member>}. The bean class is
 * tried first, then the class that declares the method when it differs.
 */
final class Overrides {

    private static final String ANNOTATION = "DistributedLock";

    private final DlmConfig config;
    private final String[] classNames;
    private final String methodName;

    /**
     * Looks up overrides for one method.
     *
     * @param config the deployment's configuration
     * @param beanClass the bean class
     * @param declaringClass the class that declares the method
     * @param methodName the method's name
     */
    Overrides(DlmConfig config, Class<?> beanClass, Class<?> declaringClass, String methodName) {
        this.config = config;
        this.classNames = beanClass == declaringClass
                ? new String[] {beanClass.getName()}
                : new String[] {beanClass.getName(), declaringClass.getName()};
        this.methodName = methodName;
    }

    /**
     * The most specific override of a member.
     *
     * @param member the annotation member, e.g. {@code timeout}
     * @return the key and value found, or empty
     */
    Optional<Found> find(String member) {
        for (String className : classNames) {
            Optional<Found> found = lookup(className + "/" + methodName + "/" + ANNOTATION + "/" + member);
            if (found.isPresent()) {
                return found;
            }
        }
        for (String className : classNames) {
            Optional<Found> found = lookup(className + "/" + ANNOTATION + "/" + member);
            if (found.isPresent()) {
                return found;
            }
        }
        return lookup(ANNOTATION + "/" + member);
    }

    private Optional<Found> lookup(String key) {
        return config.get(key).map(value -> new Found(key, value));
    }

    /**
     * An override that was found.
     *
     * @param key the config key
     * @param value its value
     */
    record Found(String key, String value) {}
}
