package io.dlm.health;

import jakarta.enterprise.util.AnnotationLiteral;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Qualifies a second manager of the application, beside DLM's default one. */
@jakarta.inject.Qualifier
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE})
@interface Audit {

    /** The qualifier as a value, to look the manager up. */
    final class Literal extends AnnotationLiteral<Audit> implements Audit {
        static final Literal INSTANCE = new Literal();
        private static final long serialVersionUID = 1L;
    }
}
