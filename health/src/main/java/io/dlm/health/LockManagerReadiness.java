package io.dlm.health;

import io.dlm.LockManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.ContextNotActiveException;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.context.spi.Context;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanContainer;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jspecify.annotations.Nullable;

/**
 * The readiness check of DLM (O2): one check named {@value #NAME} that reports every {@link
 * LockManager} bean of the application, each under its own name in the check's data, and is DOWN
 * when any of them is.
 *
 * <p>A manager is DOWN when its engine has not answered for a whole {@code dlm.operation.timeout}
 * ({@link io.dlm.EngineContact#answering()}): its calls, and the renewals it makes in the background,
 * have failed for that long. The check reads {@link LockManager#engineContact()} and nothing else,
 * so a probe never calls the engine, however often it comes.
 *
 * <p>A manager that nothing has used yet is not opened by the check: a probe must not be what
 * connects to the engine (and, while the engine is away, tries again on every probe). It is UP, with
 * the state {@code not opened}, until its first use; from then on its engine contact decides.
 */
@Readiness
@ApplicationScoped
public class LockManagerReadiness implements HealthCheck {

    /** The check's name in the health report. */
    public static final String NAME = "dlm";

    @Inject
    @Any
    Instance<LockManager> managers;

    @Inject
    BeanContainer container;

    /** Created by the container. */
    public LockManagerReadiness() {}

    /**
     * Reports every manager bean from its last engine contact, without calling any engine (O2).
     *
     * @return UP when every manager's engine answers, or has failed for less than an operation
     *     timeout; DOWN otherwise
     */
    @Override
    public HealthCheckResponse call() {
        List<ManagerReport> reports = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Instance.Handle<LockManager> handle : managers.handles()) {
            // The handle's bean only: Handle.get() would create the manager.
            Bean<LockManager> bean = handle.getBean();
            reports.add(report(ManagerNames.unique(ManagerNames.of(bean), names), bean));
        }
        reports.sort(Comparator.comparing(ManagerReport::name));
        HealthCheckResponseBuilder response =
                HealthCheckResponse.named(NAME).status(reports.stream().allMatch(ManagerReport::up));
        reports.forEach(report -> report.addTo(response));
        return response.build();
    }

    private ManagerReport report(String name, Bean<LockManager> bean) {
        if (bean.getScope() == Dependent.class) {
            // Every injection point owns its own instance: there is no one manager to look at.
            return ManagerReport.without(name, ManagerReport.NOT_OBSERVABLE);
        }
        Context context;
        try {
            context = container.getContext(bean.getScope());
        } catch (ContextNotActiveException e) {
            return ManagerReport.without(name, ManagerReport.CONTEXT_NOT_ACTIVE);
        }
        // Context.get without a creational context returns the existing instance, never a new one.
        @Nullable LockManager manager = context.get(bean);
        if (manager == null) {
            return ManagerReport.without(name, ManagerReport.NOT_OPENED);
        }
        try {
            return ManagerReport.open(name, manager.engineContact());
        } catch (RuntimeException e) {
            // One manager that cannot tell (closed, or not DLM's) must not hide the others.
            return ManagerReport.failed(name, e);
        }
    }
}
