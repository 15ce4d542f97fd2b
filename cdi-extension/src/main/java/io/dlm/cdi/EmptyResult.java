package io.dlm.cdi;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * What a skipped call returns (S1), chosen once at deployment from the method's return type: {@code
 * null} for a reference, {@code 0}, {@code false} or {@code '\0'} for a primitive, the empty {@code
 * Optional} kinds, and a stage completed with {@code null} for the stage and future types.
 */
final class EmptyResult {

    /** For {@code void} and reference types. */
    static final EmptyResult NULL = new EmptyResult(null, false);

    /**
     * Returned as it is by every skipped call; immutable, or, for a {@code CompletionStage}, a
     * minimal stage that callers cannot complete, so one instance serves all calls.
     */
    private final @Nullable Object shared;

    /**
     * A {@code CompletableFuture} (or {@code Future}) is made per call: a caller may complete or
     * obtrude the one it got, and must not change what the next caller gets.
     */
    private final boolean freshFuture;

    private EmptyResult(@Nullable Object shared, boolean freshFuture) {
        this.shared = shared;
        this.freshFuture = freshFuture;
    }

    /**
     * The empty value of a return type.
     *
     * @param type the method's declared return type
     * @return what a skipped call of such a method returns
     */
    static EmptyResult of(Class<?> type) {
        if (type.isPrimitive()) {
            return new EmptyResult(zero(type), false);
        }
        if (type == Optional.class) {
            return new EmptyResult(Optional.empty(), false);
        }
        if (type == OptionalInt.class) {
            return new EmptyResult(OptionalInt.empty(), false);
        }
        if (type == OptionalLong.class) {
            return new EmptyResult(OptionalLong.empty(), false);
        }
        if (type == OptionalDouble.class) {
            return new EmptyResult(OptionalDouble.empty(), false);
        }
        if (type == CompletionStage.class) {
            return new EmptyResult(CompletableFuture.completedStage(null), false);
        }
        if (type != Object.class && type.isAssignableFrom(CompletableFuture.class)) {
            return new EmptyResult(null, true);
        }
        return NULL;
    }

    /**
     * The value for one skipped call.
     *
     * @return the empty value
     */
    @Nullable
    Object get() {
        return freshFuture ? CompletableFuture.completedFuture(null) : shared;
    }

    private static @Nullable Object zero(Class<?> primitive) {
        if (primitive == boolean.class) {
            return Boolean.FALSE;
        }
        if (primitive == char.class) {
            return '\0';
        }
        if (primitive == byte.class) {
            return (byte) 0;
        }
        if (primitive == short.class) {
            return (short) 0;
        }
        if (primitive == int.class) {
            return 0;
        }
        if (primitive == long.class) {
            return 0L;
        }
        if (primitive == float.class) {
            return 0f;
        }
        if (primitive == double.class) {
            return 0d;
        }
        return null; // void
    }
}
