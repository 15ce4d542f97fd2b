package io.dlm.opentelemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Whether something registered the global OpenTelemetry, asked without registering the no-op one
 * (O1). Newer APIs answer it ({@code GlobalOpenTelemetry.isSet()}); the 1.4x ones that servers ship
 * keep it in a private field, read here; where neither can be read, the answer is no, and DLM
 * records into the instance an application gives {@link DlmOpenTelemetry#use} only.
 */
final class GlobalState {

    private GlobalState() {}

    static boolean isSet() {
        try {
            Method isSet = GlobalOpenTelemetry.class.getMethod("isSet");
            return (Boolean) isSet.invoke(null);
        } catch (NoSuchMethodException e) {
            return fieldSet();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static boolean fieldSet() {
        try {
            Field global = GlobalOpenTelemetry.class.getDeclaredField("globalOpenTelemetry");
            global.setAccessible(true);
            return global.get(null) != null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
