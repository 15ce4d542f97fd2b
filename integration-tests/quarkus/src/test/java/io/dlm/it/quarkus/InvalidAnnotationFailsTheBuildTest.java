package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.dlm.it.quarkus.broken.Broken;
import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * D5 in CDI Lite: invalid annotations fail the Quarkus build, every problem named with its bean
 * and method, before the application can start.
 */
class InvalidAnnotationFailsTheBuildTest {

    @RegisterExtension
    static final QuarkusUnitTest BUILD = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Broken.class))
            // application.properties leaves Broken out of the other tests' application.
            .overrideConfigKey("quarkus.arc.exclude-types", "io.dlm.it.quarkus.none.*")
            .assertException(failure -> assertThat(messages(failure))
                    .contains("DLM1000: 2 invalid @DistributedLock annotations")
                    .contains("DLM1005: Invalid @DistributedLock.resource on Broken#misspelt")
                    .contains("DLM1001: Invalid @DistributedLock.timeout on Broken#negative"));

    @Test
    void theBuildFails() {
        fail("the application started with invalid annotations");
    }

    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
            for (Throwable suppressed : t.getSuppressed()) {
                all.append(suppressed.getMessage()).append('\n');
            }
        }
        return all.toString();
    }
}
