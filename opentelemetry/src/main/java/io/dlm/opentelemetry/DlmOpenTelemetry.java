package io.dlm.opentelemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which OpenTelemetry instance records the O1 metrics of the lock managers opened from now on.
 *
 * <p>By default {@link GlobalOpenTelemetry#get()}: the Java agent's, Quarkus's or WildFly's, or the
 * one an application registered with {@code OpenTelemetrySdk.builder()...buildAndRegisterGlobal()}.
 * An application that keeps its SDK out of the global calls {@link #use} before it opens its
 * managers. The instance is read once per manager, when it opens: a manager keeps recording into
 * the instance it opened with.
 *
 * <p>DLM never reads a global that nothing registered yet (OpenTelemetry would fix it to the no-op
 * instance for the rest of the JVM, and the application's own registration would then fail): a
 * manager that opens before the SDK is registered records nothing, so register the SDK, or call
 * {@link #use}, before opening the managers whose metrics you want. With no instance DLM records
 * nothing and adds no work to any lock call.
 */
public final class DlmOpenTelemetry {

    private static volatile @Nullable OpenTelemetry chosen;

    private DlmOpenTelemetry() {}

    /**
     * Records the metrics of managers opened from now on into the given instance instead of the
     * global one (O1).
     *
     * @param openTelemetry the instance, usually an {@code OpenTelemetrySdk}
     */
    public static void use(OpenTelemetry openTelemetry) {
        chosen = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    /** Goes back to {@link GlobalOpenTelemetry} for managers opened from now on (O1). */
    public static void useGlobal() {
        chosen = null;
    }

    /**
     * The instance for a manager that opens now: the one {@link #use} chose, else the global one if
     * something registered it, else none (the no-op instance). DLM never reads an unset global:
     * {@link GlobalOpenTelemetry#get()} would fix it to the no-op instance for good, and the
     * application's own registration later would fail.
     */
    static OpenTelemetry current() {
        OpenTelemetry own = chosen;
        if (own != null) {
            return own;
        }
        return GlobalState.isSet() ? GlobalOpenTelemetry.get() : OpenTelemetry.noop();
    }
}
