package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockEvent;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockWaitTimedOut;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.AfterBeanDiscovery;
import jakarta.enterprise.inject.spi.AnnotatedMethod;
import jakarta.enterprise.inject.spi.AnnotatedType;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.Decorator;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.Interceptor;
import jakarta.enterprise.inject.spi.ProcessAnnotatedType;
import jakarta.enterprise.inject.spi.ProcessBean;
import jakarta.enterprise.inject.spi.ProcessManagedBean;
import jakarta.enterprise.inject.spi.ProcessObserverMethod;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The portable extension that makes DLM part of a CDI application (D1-D6). Register nothing: it
 * is found through {@code META-INF/services/jakarta.enterprise.inject.spi.Extension}, and it
 * registers the interceptor and its internal beans itself, so DLM's jars need no {@code
 * beans.xml} and work in any discovery mode.
 *
 * <p>At deployment it reads the configuration once, checks every {@link DistributedLock} of every
 * enabled managed bean and reports all problems together, naming bean and method (D5); it works
 * out each method's effective settings with the config overrides (D6), keyed by bean class and
 * method; it learns which lock events have observers; and unless the application defines its own
 * {@link LockManager} bean, it adds an {@code @ApplicationScoped} one opened from the
 * configuration and closed at shutdown (D1).
 *
 * <p>Needs CDI Full (portable extensions and interceptors): Weld SE, or a Jakarta EE 10/11 server.
 */
public class DlmExtension implements Extension {

    private final Map<Class<?>, Map<Method, LockPlan>> plans = new ConcurrentHashMap<>();
    private final Map<Method, LockPlan> plansByMethod = new ConcurrentHashMap<>();
    private final Map<Method, Optional<LockPlan>> latePlans = new ConcurrentHashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Set<Class<?>> observed = ConcurrentHashMap.newKeySet();
    private volatile boolean applicationManager;
    private volatile @Nullable DlmConfig config;
    private volatile @Nullable LockPlanFactory factory;

    /** Created by the container through {@link java.util.ServiceLoader}. */
    public DlmExtension() {}

    void registerBeans(@Observes BeforeBeanDiscovery discovery, BeanManager beans) {
        DlmConfig loaded = DlmConfig.load();
        config = loaded;
        try {
            factory = new LockPlanFactory(loaded);
        } catch (IllegalArgumentException e) {
            problems.add(DlmMessages.invalidSetting(e.getMessage()));
        }
        for (Class<?> type : List.of(DistributedLockInterceptor.class, ThreadLockContext.class, LockEvents.class)) {
            discovery.addAnnotatedType(
                    beans.createAnnotatedType(type), DlmExtension.class.getName() + "." + type.getSimpleName());
        }
    }

    void configurePriority(@Observes ProcessAnnotatedType<DistributedLockInterceptor> event) {
        DlmConfig current = config;
        if (current == null) {
            return;
        }
        current.get(DlmConfig.INTERCEPTOR_PRIORITY).ifPresent(text -> {
            try {
                int priority = Integer.parseInt(text);
                event.configureAnnotatedType()
                        .remove(annotation -> annotation instanceof Priority)
                        .add(new PriorityLiteral(priority));
            } catch (NumberFormatException e) {
                problems.add(DlmMessages.invalidSetting(
                        DlmConfig.INTERCEPTOR_PRIORITY + " '" + text + "' is not a whole number"));
            }
        });
    }

    void collectPlans(@Observes ProcessManagedBean<?> event) {
        if (event.getBean() instanceof Interceptor<?> || event.getBean() instanceof Decorator<?>) {
            return;
        }
        LockPlanFactory planner = factory;
        if (planner == null) {
            return;
        }
        AnnotatedType<?> type = event.getAnnotatedBeanClass();
        Class<?> beanClass = type.getJavaClass();
        DistributedLock onClass = type.getAnnotation(DistributedLock.class);
        Map<Method, LockPlan> found = new HashMap<>();
        for (AnnotatedMethod<?> annotated : type.getMethods()) {
            Method method = annotated.getJavaMember();
            DistributedLock onMethod = annotated.getAnnotation(DistributedLock.class);
            int modifiers = method.getModifiers();
            boolean interceptable = !Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers);
            if (onMethod != null && !interceptable) {
                String operation = beanClass.getSimpleName() + "#" + method.getName();
                problems.add(
                        DlmMessages.notInterceptable(operation, Modifier.isStatic(modifiers) ? "static" : "private"));
                continue;
            }
            DistributedLock annotation = onMethod != null ? onMethod : onClass;
            if (annotation == null || !interceptable || method.getDeclaringClass() == Object.class) {
                continue;
            }
            LockPlan plan = planner.plan(beanClass, method, annotation, problems::add);
            if (plan != null) {
                found.put(method, plan);
            }
        }
        if (!found.isEmpty()) {
            plans.put(beanClass, Map.copyOf(found));
            found.forEach(plansByMethod::putIfAbsent);
        }
    }

    void collectObservers(@Observes ProcessObserverMethod<?, ?> event) {
        Class<?> observedType = rawType(event.getObserverMethod().getObservedType());
        for (Class<?> eventType :
                List.of(LockAcquired.class, LockReleased.class, LeaseLost.class, LockWaitTimedOut.class)) {
            if (observedType != null && observedType.isAssignableFrom(eventType)) {
                observed.add(eventType);
            }
        }
    }

    void findApplicationManager(@Observes ProcessBean<?> event) {
        if (!event.getBean().isAlternative() && event.getBean().getTypes().contains(LockManager.class)) {
            applicationManager = true;
        }
    }

    void addManagerAndReport(@Observes AfterBeanDiscovery discovery) {
        if (!problems.isEmpty()) {
            List<String> all;
            synchronized (problems) {
                all = List.copyOf(problems);
            }
            discovery.addDefinitionError(DlmMessages.invalidAnnotations(all));
            return;
        }
        DlmConfig current = config;
        if (!applicationManager && current != null) {
            discovery
                    .<LockManager>addBean()
                    .beanClass(ConfiguredLockManager.class)
                    .types(LockManager.class, AutoCloseable.class, Object.class)
                    .scope(ApplicationScoped.class)
                    .produceWith(instance -> ConfiguredLockManager.open(current))
                    .disposeWith((manager, instance) -> manager.close());
        }
    }

    /**
     * The plans of a bean class, keyed by method (D2, D6).
     *
     * @param beanClass the bean class
     * @return the plans worked out at deployment; empty when the class has none
     */
    Map<Method, LockPlan> plansOf(Class<?> beanClass) {
        return plans.getOrDefault(beanClass, Map.of());
    }

    /**
     * The plan of a call whose bean class the interceptor could not tell, or that deployment did
     * not announce (a bean CDI built without {@code ProcessManagedBean}). A plan found at
     * deployment is used as it is; otherwise it is worked out now, and invalid settings fail this
     * call instead of the deployment.
     *
     * @param beanClass the bean class, or {@code null} when unknown
     * @param method the called method
     * @return the plan, or {@code null} when the method is not locked
     * @throws jakarta.enterprise.inject.spi.DefinitionException when its settings are invalid
     */
    @Nullable
    LockPlan latePlan(@Nullable Class<?> beanClass, Method method) {
        LockPlan known = plansByMethod.get(method);
        if (known != null) {
            return known;
        }
        Class<?> type = beanClass != null ? beanClass : method.getDeclaringClass();
        return latePlans
                .computeIfAbsent(method, m -> Optional.ofNullable(buildLatePlan(type, m)))
                .orElse(null);
    }

    /**
     * Tells whether any observer receives an event type.
     *
     * @param eventType one of the {@link LockEvent} records
     * @return whether firing it can reach an observer
     */
    boolean isObserved(Class<? extends LockEvent> eventType) {
        return observed.contains(eventType);
    }

    private @Nullable LockPlan buildLatePlan(Class<?> beanClass, Method method) {
        DistributedLock annotation = method.getAnnotation(DistributedLock.class);
        if (annotation == null) {
            annotation = beanClass.getAnnotation(DistributedLock.class);
        }
        LockPlanFactory planner = factory;
        if (annotation == null || planner == null || method.getDeclaringClass() == Object.class) {
            return null;
        }
        DlmMessages.lateValidation(beanClass.getSimpleName() + "#" + method.getName());
        List<String> found = new ArrayList<>();
        LockPlan plan = planner.plan(beanClass, method, annotation, found::add);
        if (plan == null) {
            throw DlmMessages.invalidAnnotations(found);
        }
        return plan;
    }

    private static @Nullable Class<?> rawType(Type type) {
        if (type instanceof Class<?> raw) {
            return raw;
        }
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() instanceof Class<?> raw) {
            return raw;
        }
        return null;
    }
}
