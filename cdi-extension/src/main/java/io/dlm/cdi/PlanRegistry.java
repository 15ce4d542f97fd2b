package io.dlm.cdi;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LeaseLost;
import io.dlm.interceptor.LockAcquired;
import io.dlm.interceptor.LockEvent;
import io.dlm.interceptor.LockReleased;
import io.dlm.interceptor.LockSkipped;
import io.dlm.interceptor.LockWaitTimedOut;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The deployment's lock plans, problems and observed event types, gathered the same way whichever
 * extension runs (D2, D5, D6, D7): the portable one hands it each managed bean's annotated type,
 * the build compatible one the bean classes it found at build time.
 */
final class PlanRegistry implements LockPlans {

    private static final List<Class<? extends LockEvent>> EVENT_TYPES =
            List.of(LockAcquired.class, LockReleased.class, LeaseLost.class, LockWaitTimedOut.class, LockSkipped.class);

    /** A method of a bean class with the {@link DistributedLock} it carries itself, if any. */
    record Candidate(Method method, @Nullable DistributedLock annotation) {}

    private final Map<Class<?>, Map<Method, LockPlan>> plans = new ConcurrentHashMap<>();
    private final Map<Method, LockPlan> plansByMethod = new ConcurrentHashMap<>();
    private final Map<Method, Optional<LockPlan>> latePlans = new ConcurrentHashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Set<Class<?>> observed = ConcurrentHashMap.newKeySet();
    private final @Nullable LockPlanFactory factory;

    /**
     * Reads the global settings the plans depend on; an invalid one becomes a problem (E1a).
     *
     * @param config the deployment's configuration
     */
    PlanRegistry(DlmConfig config) {
        LockPlanFactory created = null;
        try {
            created = new LockPlanFactory(config);
        } catch (IllegalArgumentException e) {
            problems.add(DlmMessages.invalidSetting(e.getMessage()));
        }
        this.factory = created;
    }

    /** Records a problem found outside the plans, e.g. an invalid interceptor priority (D5). */
    void problem(String message) {
        problems.add(message);
    }

    /**
     * Every problem found so far, in the order found (D5).
     *
     * @return a snapshot
     */
    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /**
     * Plans and checks the locked methods of one bean class.
     *
     * @param beanClass the bean class
     * @param onClass the {@link DistributedLock} on the class, which applies to every method that
     *     has none of its own
     * @param methods the methods of the bean, as CDI sees them
     */
    void addBean(Class<?> beanClass, @Nullable DistributedLock onClass, Iterable<Candidate> methods) {
        LockPlanFactory planner = factory;
        if (planner == null) {
            return;
        }
        Map<Method, LockPlan> found = new HashMap<>();
        for (Candidate candidate : methods) {
            Method method = candidate.method();
            int modifiers = method.getModifiers();
            boolean interceptable = !Modifier.isStatic(modifiers) && !Modifier.isPrivate(modifiers);
            if (candidate.annotation() != null && !interceptable) {
                String operation = beanClass.getSimpleName() + "#" + method.getName();
                problems.add(
                        DlmMessages.notInterceptable(operation, Modifier.isStatic(modifiers) ? "static" : "private"));
                continue;
            }
            DistributedLock annotation = candidate.annotation() != null ? candidate.annotation() : onClass;
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

    /**
     * Plans a bean class from its own reflection, when no container model of it is at hand: its
     * methods and those it inherits and does not override, with their own annotations.
     *
     * @param beanClass the bean class
     */
    void addBean(Class<?> beanClass) {
        List<Candidate> methods = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Class<?> type = beanClass; type != null && type != Object.class; type = type.getSuperclass()) {
            for (Method method : type.getDeclaredMethods()) {
                if (method.isBridge() || method.isSynthetic()) {
                    continue;
                }
                String signature = method.getName() + Arrays.toString(method.getParameterTypes());
                // Private methods are not overridden; every other one is seen from the subclass first.
                if (Modifier.isPrivate(method.getModifiers()) || seen.add(signature)) {
                    methods.add(new Candidate(method, method.getAnnotation(DistributedLock.class)));
                }
            }
        }
        addBean(beanClass, beanClass.getAnnotation(DistributedLock.class), methods);
    }

    /**
     * Notes an observer's event type: every lock event it can receive is fired from now on.
     *
     * @param observedType the observer's raw event type, or {@code null} when it is none of ours
     */
    void observe(@Nullable Class<?> observedType) {
        if (observedType == null) {
            return;
        }
        for (Class<? extends LockEvent> eventType : EVENT_TYPES) {
            if (observedType.isAssignableFrom(eventType)) {
                observed.add(eventType);
            }
        }
    }

    @Override
    public Map<Method, LockPlan> plansOf(Class<?> beanClass) {
        return plans.getOrDefault(beanClass, Map.of());
    }

    @Override
    public @Nullable LockPlan latePlan(@Nullable Class<?> beanClass, Method method) {
        LockPlan known = plansByMethod.get(method);
        if (known != null) {
            return known;
        }
        Class<?> type = beanClass != null ? beanClass : method.getDeclaringClass();
        return latePlans
                .computeIfAbsent(method, m -> Optional.ofNullable(buildLatePlan(type, m)))
                .orElse(null);
    }

    @Override
    public boolean isObserved(Class<? extends LockEvent> eventType) {
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
}
