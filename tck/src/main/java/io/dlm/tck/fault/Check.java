package io.dlm.tck.fault;

/** Argument checks of the fault tier's recorders: bad input is an {@link IllegalArgumentException} naming it. */
final class Check {

    private Check() {}

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }
}
