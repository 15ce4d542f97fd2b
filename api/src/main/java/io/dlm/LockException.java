package io.dlm;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A lock operation failed for the reason {@link #error()} names (X1-X3). */
public class LockException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The kind of failure. */
    private final LockError error;

    /**
     * Creates an exception without a cause.
     *
     * @param error the kind of failure
     * @param message what happened, naming the resource where there is one
     */
    public LockException(LockError error, String message) {
        this(error, message, null);
    }

    /**
     * Creates an exception with the failure that caused it (X1, X2).
     *
     * @param error the kind of failure
     * @param message what happened, naming the resource where there is one
     * @param cause the engine's exception, or the {@link InterruptedException}
     */
    public LockException(LockError error, String message, @Nullable Throwable cause) {
        super(error + ": " + message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    /**
     * The kind of failure.
     *
     * @return the error code
     */
    public LockError error() {
        return error;
    }
}
