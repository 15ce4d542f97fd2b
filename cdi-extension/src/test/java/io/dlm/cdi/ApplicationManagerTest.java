package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Qualifier;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;

/**
 * D1: DLM adds its manager unless the application has one that {@code @Inject LockManager} would
 * get; a qualified manager of the application's stands beside DLM's and does not replace it.
 */
class ApplicationManagerTest {

    /** A qualifier of the application's. */
    @Qualifier
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE})
    @interface Backup {}

    /** Produces a second, qualified manager. */
    @ApplicationScoped
    static class BackupManagers {

        @Produces
        @Backup
        @ApplicationScoped
        LockManager backup() {
            return LockManagers.inMemory();
        }

        void close(@Disposes @Backup LockManager manager) {
            manager.close();
        }
    }

    @Test
    void D1_aQualifiedManagerOfTheApplicationLeavesTheDefaultOneInPlace() {
        try (TestContainer container = TestContainer.start(BackupManagers.class, Beans.Counter.class)) {
            Beans.Counter counter = container.get(Beans.Counter.class);
            counter.increment();
            assertThat(counter.value()).isEqualTo(1);
            assertThat(container.get(LockManager.class).lock("d1-default", "client", 0))
                    .isTrue();
        }
    }
}
