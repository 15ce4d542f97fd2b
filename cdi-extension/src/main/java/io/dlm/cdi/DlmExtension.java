package io.dlm.cdi;

import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.LockEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.spi.AfterBeanDiscovery;
import jakarta.enterprise.inject.spi.AnnotatedMethod;
import jakarta.enterprise.inject.spi.AnnotatedType;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.Decorator;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.Interceptor;
import jakarta.enterprise.inject.spi.ProcessAnnotatedType;
import jakarta.enterprise.inject.spi.ProcessBean;
import jakarta.enterprise.inject.spi.ProcessManagedBean;
import jakarta.enterprise.inject.spi.ProcessObserverMethod;
import jakarta.inject.Named;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * In CDI Lite (Quarkus) the {@link DlmBuildCompatibleExtension} does the same at build time, and
 * where both could run, only this one does (D7). As a bean it is the interceptor's {@link
 * LockPlans}.
 */
public class DlmExtension implements Extension, LockPlans {

    private volatile @Nullable PlanRegistry registry;
    private volatile boolean applicationManager;
    private volatile @Nullable DlmConfig config;

    /** Created by the container through {@link java.util.ServiceLoader}. */
    public DlmExtension() {}

    void registerBeans(@Observes BeforeBeanDiscovery discovery, BeanManager beans) {
        DlmConfig loaded = DlmConfig.load();
        config = loaded;
        registry = new PlanRegistry(loaded);
        for (Class<?> type : List.of(DistributedLockInterceptor.class, ThreadLockContext.class, LockEvents.class)) {
            discovery.addAnnotatedType(
                    beans.createAnnotatedType(type), DlmExtension.class.getName() + "." + type.getSimpleName());
        }
        // S4: the campaigns for dlm.leadership.names, started and resigned by CDI's Startup and Shutdown.
        discovery.addAnnotatedType(
                beans.createAnnotatedType(LeadershipCampaigns.class),
                DlmExtension.class.getName() + "." + LeadershipCampaigns.class.getSimpleName());
    }

    void configurePriority(@Observes ProcessAnnotatedType<DistributedLockInterceptor> event) {
        DlmConfig current = config;
        PlanRegistry plans = registry;
        if (current == null || plans == null) {
            return;
        }
        current.get(DlmConfig.INTERCEPTOR_PRIORITY).ifPresent(text -> {
            try {
                int priority = Integer.parseInt(text);
                event.configureAnnotatedType()
                        .remove(annotation -> annotation instanceof Priority)
                        .add(new PriorityLiteral(priority));
            } catch (NumberFormatException e) {
                plans.problem(DlmMessages.invalidSetting(
                        DlmConfig.INTERCEPTOR_PRIORITY + " '" + text + "' is not a whole number"));
            }
        });
    }

    void collectPlans(@Observes ProcessManagedBean<?> event) {
        PlanRegistry plans = registry;
        if (plans == null || event.getBean() instanceof Interceptor<?> || event.getBean() instanceof Decorator<?>) {
            return;
        }
        AnnotatedType<?> type = event.getAnnotatedBeanClass();
        List<PlanRegistry.Candidate> methods = new ArrayList<>();
        for (AnnotatedMethod<?> annotated : type.getMethods()) {
            methods.add(new PlanRegistry.Candidate(
                    annotated.getJavaMember(), annotated.getAnnotation(DistributedLock.class)));
        }
        plans.addBean(type.getJavaClass(), type.getAnnotation(DistributedLock.class), methods);
    }

    void collectObservers(@Observes ProcessObserverMethod<?, ?> event) {
        PlanRegistry plans = registry;
        if (plans != null) {
            plans.observe(rawType(event.getObserverMethod().getObservedType()));
        }
    }

    void findApplicationManager(@Observes ProcessBean<?> event) {
        Bean<?> bean = event.getBean();
        // Only a bean that serves @Inject LockManager replaces DLM's; a qualified one stands beside it.
        if (!bean.isAlternative()
                && bean.getTypes().contains(LockManager.class)
                && bean.getQualifiers().stream().allMatch(DlmExtension::isDefaultQualifier)) {
            applicationManager = true;
        }
    }

    private static boolean isDefaultQualifier(Annotation qualifier) {
        Class<? extends Annotation> type = qualifier.annotationType();
        return type == Default.class || type == Any.class || type == Named.class;
    }

    void addManagerAndReport(@Observes AfterBeanDiscovery discovery) {
        PlanRegistry plans = registry;
        List<String> problems = plans == null ? List.of() : plans.problems();
        if (!problems.isEmpty()) {
            discovery.addDefinitionError(DlmMessages.invalidAnnotations(problems));
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

    @Override
    public Map<Method, LockPlan> plansOf(Class<?> beanClass) {
        PlanRegistry plans = registry;
        return plans == null ? Map.of() : plans.plansOf(beanClass);
    }

    @Override
    public @Nullable LockPlan latePlan(@Nullable Class<?> beanClass, Method method) {
        PlanRegistry plans = registry;
        return plans == null ? null : plans.latePlan(beanClass, method);
    }

    @Override
    public boolean isObserved(Class<? extends LockEvent> eventType) {
        PlanRegistry plans = registry;
        return plans != null && plans.isObserved(eventType);
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
