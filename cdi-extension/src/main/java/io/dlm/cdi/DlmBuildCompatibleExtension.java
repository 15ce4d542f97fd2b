package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockEvent;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import io.dlm.interceptor.LockWaitTimedOut;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.build.compatible.spi.BeanInfo;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.ClassConfig;
import jakarta.enterprise.inject.build.compatible.spi.Discovery;
import jakarta.enterprise.inject.build.compatible.spi.Enhancement;
import jakarta.enterprise.inject.build.compatible.spi.Messages;
import jakarta.enterprise.inject.build.compatible.spi.ObserverInfo;
import jakarta.enterprise.inject.build.compatible.spi.Parameters;
import jakarta.enterprise.inject.build.compatible.spi.Registration;
import jakarta.enterprise.inject.build.compatible.spi.ScannedClasses;
import jakarta.enterprise.inject.build.compatible.spi.SkipIfPortableExtensionPresent;
import jakarta.enterprise.inject.build.compatible.spi.Synthesis;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticBeanCreator;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticBeanDisposer;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticComponents;
import jakarta.enterprise.inject.build.compatible.spi.Validation;
import jakarta.enterprise.lang.model.declarations.ClassInfo;
import jakarta.enterprise.lang.model.declarations.MethodInfo;
import jakarta.enterprise.lang.model.types.Type;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * DLM in CDI Lite (D7): what {@link DlmExtension} does at deployment, done at build time, so that
 * Quarkus (ArC), which runs no portable extension, gets {@code @DistributedLock}, {@code @Inject
 * LockManager}, validation and configuration unchanged. Found through {@code
 * META-INF/services/jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension}; a
 * container that runs portable extensions too (Weld) skips it and runs {@link DlmExtension} alone.
 *
 * <ul>
 *   <li>{@code @Discovery} adds the interceptor and its internal beans;
 *   <li>{@code @Registration} notes the bean classes with {@link DistributedLock} methods, the
 *       observed event types, and whether the application defines its own {@link LockManager};
 *   <li>{@code @Synthesis} adds the {@link LockPlans} bean, which {@link StartupCheck} has work
 *       out the plans as the application starts, with the configuration it runs with (D6), and
 *       unless the application has an unqualified one, an {@code @ApplicationScoped} {@link
 *       LockManager} opened from the configuration on first use and closed at shutdown (D1);
 *   <li>{@code @Validation} checks every plan against the configuration the build sees and fails
 *       the build with D5's message; a setting that only the running application has fails its
 *       start-up instead.
 * </ul>
 *
 * <p>{@code dlm.interceptor.priority} is read at build time here. Beans and observers that other
 * extensions add synthetically are not seen: ArC registers them after this extension's
 * registration phase.
 */
@SkipIfPortableExtensionPresent(DlmExtension.class)
public class DlmBuildCompatibleExtension implements BuildCompatibleExtension {

    private static final String BEANS = "beans";
    private static final String OBSERVED = "observed";

    /** The qualifiers of a bean that serves {@code @Inject LockManager}: no other qualifier. */
    private static final Set<String> DEFAULT_QUALIFIERS =
            Set.of(Default.class.getName(), Any.class.getName(), Named.class.getName());

    /** Class names of the beans with locked methods, in the order found. */
    private final Set<String> lockedBeans = new LinkedHashSet<>();
    /** Class names of the event types observers observe that a lock event may match. */
    private final Set<String> observedTypes = new LinkedHashSet<>();

    private boolean applicationManager;

    /** Created by the container through {@link java.util.ServiceLoader}. */
    public DlmBuildCompatibleExtension() {}

    /**
     * Adds the interceptor and the beans it needs, so that DLM's jar needs no bean archive.
     *
     * @param scanned the classes the container discovers
     */
    @Discovery
    public void addInternalBeans(ScannedClasses scanned) {
        for (Class<?> type : List.of(
                DistributedLockInterceptor.class, ThreadLockContext.class, LockEvents.class, StartupCheck.class)) {
            scanned.add(type.getName());
        }
        // S4: the campaigns for dlm.leadership.names; ArC keeps the bean, as it observes Startup.
        scanned.add(LeadershipCampaigns.class.getName());
    }

    /**
     * Applies {@code dlm.interceptor.priority}, as the build sees it.
     *
     * @param interceptor the interceptor class
     * @param messages where an invalid value is reported
     */
    @Enhancement(types = DistributedLockInterceptor.class)
    public void configurePriority(ClassConfig interceptor, Messages messages) {
        DlmConfig.load().get(DlmConfig.INTERCEPTOR_PRIORITY).ifPresent(text -> {
            try {
                int priority = Integer.parseInt(text);
                interceptor
                        .removeAnnotation(annotation -> annotation.name().equals(Priority.class.getName()))
                        .addAnnotation(new PriorityLiteral(priority));
            } catch (NumberFormatException e) {
                messages.error(DlmMessages.invalidSetting(
                        DlmConfig.INTERCEPTOR_PRIORITY + " '" + text + "' is not a whole number"));
            }
        });
    }

    /**
     * Notes a bean whose class or methods carry {@link DistributedLock}, and a bean of the
     * application's that is a {@link LockManager}.
     *
     * @param bean every bean
     */
    @Registration(types = Object.class)
    public void findLockedBeans(BeanInfo bean) {
        if (bean.isClassBean() && !bean.isInterceptor() && isLocked(bean.declaringClass())) {
            lockedBeans.add(bean.declaringClass().name());
        }
        if (!bean.isAlternative()
                && bean.types().stream().anyMatch(type -> is(type, LockManager.class))
                && bean.qualifiers().stream().allMatch(q -> DEFAULT_QUALIFIERS.contains(q.name()))) {
            applicationManager = true;
        }
    }

    /**
     * Notes the event type of an observer that a lock event may reach.
     *
     * @param observer an observer of a type a lock event has
     */
    @Registration(
            types = {
                Object.class,
                Record.class,
                LockEvent.class,
                LockAcquired.class,
                LockReleased.class,
                LeaseLost.class,
                LockWaitTimedOut.class,
                LockSkipped.class
            })
    public void findObservers(ObserverInfo observer) {
        String name = className(observer.eventType());
        if (name != null) {
            observedTypes.add(name);
        }
    }

    /**
     * Adds the plans and, unless the application has one, the lock manager.
     *
     * @param components where synthetic beans are added
     */
    @Synthesis
    public void addBeans(SyntheticComponents components) {
        components
                .addBean(LockPlans.class)
                .type(LockPlans.class)
                .scope(Singleton.class)
                .withParam(BEANS, lockedBeans.toArray(String[]::new))
                .withParam(OBSERVED, observedTypes.toArray(String[]::new))
                .createWith(PlansCreator.class);
        if (!applicationManager) {
            components
                    .addBean(LockManager.class)
                    .type(LockManager.class)
                    .type(AutoCloseable.class)
                    .scope(ApplicationScoped.class)
                    .createWith(ManagerCreator.class)
                    .disposeWith(ManagerDisposer.class);
        }
    }

    /**
     * Checks every locked method against the configuration the build sees, and reports all
     * problems together (D5).
     *
     * @param messages where the problems go; an error fails the build
     */
    @Validation
    public void validate(Messages messages) {
        List<String> problems = plans(lockedBeans, List.of()).problems();
        if (!problems.isEmpty()) {
            messages.error(DlmMessages.invalidAnnotations(problems));
        }
    }

    /** Creates the {@link LockPlans} bean when the application starts, from its configuration. */
    public static final class PlansCreator implements SyntheticBeanCreator<LockPlans> {

        /** Created by the container. */
        public PlansCreator() {}

        @Override
        public LockPlans create(Instance<Object> lookup, Parameters params) {
            PlanRegistry registry =
                    plans(List.of(params.get(BEANS, String[].class)), List.of(params.get(OBSERVED, String[].class)));
            List<String> problems = registry.problems();
            if (!problems.isEmpty()) {
                throw DlmMessages.invalidAnnotations(problems);
            }
            return registry;
        }
    }

    /** Opens the application's {@link LockManager} from its configuration (D1). */
    public static final class ManagerCreator implements SyntheticBeanCreator<LockManager> {

        /** Created by the container. */
        public ManagerCreator() {}

        @Override
        public LockManager create(Instance<Object> lookup, Parameters params) {
            return ConfiguredLockManager.open(DlmConfig.load());
        }
    }

    /** Closes the application's {@link LockManager} at shutdown (C1). */
    public static final class ManagerDisposer implements SyntheticBeanDisposer<LockManager> {

        /** Created by the container. */
        public ManagerDisposer() {}

        @Override
        public void dispose(LockManager manager, Instance<Object> lookup, Parameters params) {
            manager.close();
        }
    }

    private static PlanRegistry plans(Collection<String> beans, Collection<String> observed) {
        PlanRegistry registry = new PlanRegistry(DlmConfig.load());
        for (String name : beans) {
            registry.addBean(load(name));
        }
        for (String name : observed) {
            registry.observe(load(name));
        }
        return registry;
    }

    private static Class<?> load(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            return Class.forName(
                    name, false, loader != null ? loader : DlmBuildCompatibleExtension.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("DLM cannot load the bean class " + name, e);
        }
    }

    private static boolean isLocked(ClassInfo type) {
        for (ClassInfo current = type; current != null; current = current.superClassDeclaration()) {
            if (current.hasAnnotation(DistributedLock.class)) {
                return true;
            }
            for (MethodInfo method : current.methods()) {
                if (method.hasAnnotation(DistributedLock.class)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean is(Type type, Class<?> expected) {
        return expected.getName().equals(className(type));
    }

    private static @Nullable String className(Type type) {
        if (type.isClass()) {
            return type.asClass().declaration().name();
        }
        if (type.isParameterizedType()) {
            return type.asParameterizedType().declaration().name();
        }
        return null;
    }
}
