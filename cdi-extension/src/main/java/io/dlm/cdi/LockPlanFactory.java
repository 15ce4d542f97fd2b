package io.dlm.cdi;

import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.WhenLocked;
import io.dlm.spi.LeaseLengths;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Works out a method's effective {@link LockPlan} from its annotation and the config overrides
 * (D6), and checks it (D5). Every problem goes to the sink, so a deployment reports all of them.
 */
final class LockPlanFactory {

    private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

    private final DlmConfig config;
    /** The lease rule E1, so that an annotation's lease is what {@code lock} would give. */
    private final LeaseLengths leases;

    /** {@code dlm.heartbeat.interval}, or {@code null} for the runtime's default, a third of each lease. */
    private final @Nullable Duration heartbeatInterval;

    /**
     * Reads the global settings the plans depend on (E1, D2).
     *
     * @param config the deployment's configuration
     * @throws IllegalArgumentException naming the key of an invalid global setting (E1a)
     */
    LockPlanFactory(DlmConfig config) {
        this.config = config;
        this.leases = LeaseLengths.parse(key -> config.get(key).orElse(null));
        this.heartbeatInterval = config.duration(DlmConfig.HEARTBEAT_INTERVAL).orElse(null);
    }

    /**
     * Builds and checks the plan of one method.
     *
     * @param beanClass the bean class
     * @param method the intercepted method
     * @param annotation its {@code @DistributedLock}, from the method or the class
     * @param problems receives every problem found (D5)
     * @return the plan, or {@code null} when the method's settings are invalid
     */
    @Nullable
    LockPlan plan(Class<?> beanClass, Method method, DistributedLock annotation, Consumer<String> problems) {
        String operation = beanClass.getSimpleName() + "#" + method.getName();
        Overrides overrides = new Overrides(config, beanClass, method.getDeclaringClass(), method.getName());
        List<String> found = new ArrayList<>();
        Consumer<String> counting = found::add;
        String template = value(overrides, "resource", annotation.resource(), s -> s, "text", operation, counting);
        long timeout =
                value(overrides, "timeout", annotation.timeout(), Long::valueOf, "a whole number", operation, counting);
        ChronoUnit unit = value(
                overrides, "unit", annotation.unit(), LockPlanFactory::unit, "a ChronoUnit name", operation, counting);
        long lease =
                value(overrides, "lease", annotation.lease(), Long::valueOf, "a whole number", operation, counting);
        boolean interrupt = value(
                overrides,
                "interruptOnLeaseLoss",
                annotation.interruptOnLeaseLoss(),
                LockPlanFactory::bool,
                "true or false",
                operation,
                counting);
        WhenLocked whenLocked = value(
                overrides,
                "whenLocked",
                annotation.whenLocked(),
                LockPlanFactory::whenLocked,
                "FAIL or SKIP",
                operation,
                counting);
        long holdAtLeast = value(
                overrides,
                "holdAtLeast",
                annotation.holdAtLeast(),
                Long::valueOf,
                "a whole number",
                operation,
                counting);

        ResourceTemplate resource = ResourceTemplate.parse(template, method, operation, counting);
        if (timeout < 0) {
            counting.accept(DlmMessages.negativeTimeout(operation, timeout));
        }
        if (lease == 0 || lease < -1) {
            counting.accept(DlmMessages.invalidLease(operation, lease));
        }
        if (holdAtLeast < 0) {
            counting.accept(DlmMessages.negativeHoldAtLeast(operation, holdAtLeast));
        }
        if (unit.isDurationEstimated()) {
            counting.accept(DlmMessages.inexactUnit(operation, unit.name()));
        }
        if (!found.isEmpty() || resource == null) {
            found.forEach(problems);
            return null;
        }
        Duration wait = saturated(timeout, unit);
        // The lease the runtime grants (E1, V3): its formula, read from the same keys.
        Duration leaseTime = Duration.ofNanos(
                lease == -1 ? leases.forTimeoutMillis(saturatedMillis(wait)) : leases.clamp(saturated(lease, unit)));
        // The runtime renews every heartbeat interval (K1); a lease that is not longer than it would
        // run out before, or just as, its renewal is sent (D5). By default the interval is a third
        // of each lease, which always fits.
        if (heartbeatInterval != null && leaseTime.compareTo(heartbeatInterval) <= 0) {
            problems.accept(DlmMessages.leaseNotLongerThanHeartbeat(operation, leaseTime, heartbeatInterval));
            return null;
        }
        return new LockPlan(
                operation,
                resource,
                wait,
                leaseTime,
                interrupt,
                isAsync(method),
                whenLocked == WhenLocked.SKIP,
                EmptyResult.of(method.getReturnType()),
                saturated(holdAtLeast, unit));
    }

    private static <T> T value(
            Overrides overrides,
            String member,
            T annotated,
            Function<String, T> parser,
            String expected,
            String operation,
            Consumer<String> problems) {
        Optional<Overrides.Found> found = overrides.find(member);
        if (found.isEmpty()) {
            return annotated;
        }
        try {
            return parser.apply(found.get().value());
        } catch (IllegalArgumentException e) {
            problems.accept(DlmMessages.invalidOverride(
                    operation, member, found.get().key(), found.get().value(), expected));
            return annotated;
        }
    }

    private static Duration saturated(long amount, ChronoUnit unit) {
        if (amount == Long.MAX_VALUE) {
            return FOREVER;
        }
        try {
            return Duration.of(amount, unit);
        } catch (ArithmeticException e) {
            return FOREVER;
        }
    }

    private static boolean isAsync(Method method) {
        Class<?> type = method.getReturnType();
        return CompletionStage.class.isAssignableFrom(type) && type.isAssignableFrom(CompletableFuture.class);
    }

    private static ChronoUnit unit(String text) {
        return ChronoUnit.valueOf(text.trim().toUpperCase(Locale.ROOT));
    }

    private static WhenLocked whenLocked(String text) {
        return WhenLocked.valueOf(text.trim().toUpperCase(Locale.ROOT));
    }

    private static Boolean bool(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(text);
        }
        return Boolean.valueOf(value);
    }

    /** A wait in whole milliseconds, as {@code lock}'s timeout counts it, saturating. */
    private static long saturatedMillis(Duration wait) {
        return wait.getSeconds() >= Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : wait.toMillis();
    }
}
