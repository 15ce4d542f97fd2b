package io.dlm.backend.jdbc;

import io.dlm.spi.Durations;
import io.dlm.spi.BackendContext;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** A {@link BackendContext} for tests that open the backend through its provider directly. */
record TestContext(Map<String, String> properties) implements BackendContext {

    @Override
    public Optional<String> property(String key) {
        return Optional.ofNullable(properties.get(key));
    }

    @Override
    public Duration duration(String key, Duration defaultValue) {
        String value = properties.get(key);
        return value == null ? defaultValue : Durations.parsePositive(key, value);
    }

    @Override
    public Duration operationTimeout() {
        return duration("dlm.operation.timeout", Duration.ofSeconds(5));
    }
}
