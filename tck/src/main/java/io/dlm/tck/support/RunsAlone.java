package io.dlm.tck.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class whose timing under faults or load is what it checks (the fault tier, N7's
 * thousand leases): it carries the JUnit tag {@value #TAG}, which the build runs after the other
 * tests, in one JVM, so that no test running beside it on the same cores decides its outcome.
 * Subclasses inherit it.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Tag(RunsAlone.TAG)
public @interface RunsAlone {

    /** The JUnit tag. */
    String TAG = "alone";
}
