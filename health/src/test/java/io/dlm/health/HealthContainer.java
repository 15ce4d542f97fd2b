package io.dlm.health;

import io.dlm.LockManager;
import io.dlm.tck.support.ConfiguredContainer;
import io.smallrye.health.SmallRyeHealth;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.json.JsonObject;
import java.lang.annotation.Annotation;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;

/**
 * A Weld SE application with DLM, dlm-health and SmallRye Health, found as an application finds
 * them: by bean discovery (dlm-health's and SmallRye Health's {@code beans.xml}) and {@code
 * META-INF/services} (DLM's CDI extension, SmallRye Config's). Configuration goes in as system
 * properties, which SmallRye Config reads live, and is removed again on close.
 */
final class HealthContainer implements AutoCloseable {

    private final ConfiguredContainer container;

    private HealthContainer(Map<String, String> config, Class<?>... beans) {
        container = ConfiguredContainer.start(
                config,
                () -> new Weld()
                        .containerId("dlm-health-test-" + System.nanoTime())
                        .addBeanClasses(beans)
                        .initialize());
    }

    static HealthContainer start(Map<String, String> config, Class<?>... beans) {
        return new HealthContainer(config, beans);
    }

    /** The application's {@code @Inject LockManager} (D1). */
    LockManager manager() {
        return container.select(LockManager.class);
    }

    <T> T select(Class<T> type, Annotation... qualifiers) {
        return container.select(type, qualifiers);
    }

    /** What {@code GET /health/ready} would answer now. */
    Readiness readiness() {
        SmallRyeHealth health = container.select(SmallRyeHealthReporter.class).getReadiness();
        return Readiness.of(health.getPayload());
    }

    @Override
    public void close() {
        container.close();
    }

    /**
     * The readiness report: its overall status and the {@code dlm} check's data.
     *
     * @param status {@code UP} or {@code DOWN}
     * @param dlm the data of the check named {@code dlm}
     */
    record Readiness(String status, JsonObject dlm) {

        static Readiness of(JsonObject payload) {
            JsonObject check = payload.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                    .filter(candidate -> LockManagerReadiness.NAME.equals(candidate.getString("name")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no check named dlm in " + payload));
            return new Readiness(payload.getString("status"), check.getJsonObject("data"));
        }

        /** One entry of the check's data, as text; {@code null} when absent. */
        String data(String key) {
            return dlm.containsKey(key) ? dlm.get(key).toString().replace("\"", "") : null;
        }
    }
}
