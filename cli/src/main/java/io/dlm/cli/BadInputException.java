package io.dlm.cli;

import java.io.Serial;

/** Input that {@code dlm} refuses before it changes anything; its message names the option or setting at fault. */
final class BadInputException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the failure.
     *
     * @param message one line that names what is wrong and where
     */
    BadInputException(String message) {
        super(message);
    }
}
