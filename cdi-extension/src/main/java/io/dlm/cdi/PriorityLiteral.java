package io.dlm.cdi;

import jakarta.annotation.Priority;
import jakarta.enterprise.util.AnnotationLiteral;

/** A {@link Priority} built at run time, to move the interceptor as configured. */
final class PriorityLiteral extends AnnotationLiteral<Priority> implements Priority {

    private static final long serialVersionUID = 1L;

    private final int value;

    PriorityLiteral(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }
}
