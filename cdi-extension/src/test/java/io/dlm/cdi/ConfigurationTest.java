package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import org.jboss.weld.proxy.WeldClientProxy;
import org.junit.jupiter.api.Test;

/** The LockManager bean (D1) and the config overrides (D6). */
class ConfigurationTest {

    @Test
    void D1_lockManagerIsInjectableAndClosedAtShutdown() {
        LockManager underlying;
        try (TestContainer container = TestContainer.start(Beans.Slot.class)) {
            LockManager manager = container.get(LockManager.class);
            assertThat(manager.lock("d1", "me", 0)).isTrue();
            underlying = (LockManager) ((WeldClientProxy) manager).getMetadata().getContextualInstance();
        }
        assertThatThrownBy(() -> underlying.inspect("d1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void D1_backendComesFromConfig() {
        try (TestContainer container =
                TestContainer.start(Map.of("dlm.backend", "no-such-backend"), Beans.Slot.class)) {
            assertThatThrownBy(() -> container.get(Beans.Slot.class).use()).hasStackTraceContaining("no-such-backend");
        }
    }

    @Test
    void D1_managerSettingsAreTheDlmKeysWithoutOverridesOrBackend() {
        DlmConfig config = DlmConfig.of(Map.of(
                "dlm.backend", "memory",
                "dlm.lease.factor", "3",
                "dlm.lease.min", "2s",
                "dlm.x/DistributedLock/timeout", "4",
                "DistributedLock/timeout", "5",
                "other.key", "6"));
        assertThat(config.managerProperties()).containsOnlyKeys("dlm.lease.factor", "dlm.lease.min");
    }

    @Test
    void D6_methodClassAndGlobalOverridesAreAppliedInThatOrder() throws Exception {
        String bean = Beans.Configurable.class.getName();
        Map<String, String> config = Map.of(
                bean + "/annotated/DistributedLock/timeout",
                "11",
                bean + "/DistributedLock/timeout",
                "22",
                bean + "/DistributedLock/resource",
                "from-class",
                "DistributedLock/unit",
                "SECONDS",
                "DistributedLock/lease",
                "300",
                bean + "/untouched/DistributedLock/lease",
                "40");
        try (TestContainer container = TestContainer.start(config, Beans.Configurable.class)) {
            Map<Method, LockPlan> plans = container.get(DlmExtension.class).plansOf(Beans.Configurable.class);
            LockPlan annotated = plans.get(Beans.Configurable.class.getDeclaredMethod("annotated"));
            LockPlan inherited = plans.get(Beans.Configurable.class.getDeclaredMethod("inherited"));
            LockPlan untouched = plans.get(Beans.Configurable.class.getDeclaredMethod("untouched", String.class));

            assertThat(annotated.waitTime()).isEqualTo(Duration.ofSeconds(11));
            assertThat(inherited.waitTime()).isEqualTo(Duration.ofSeconds(22));
            assertThat(untouched.waitTime()).isEqualTo(Duration.ofSeconds(22));
            assertThat(annotated.lease()).isEqualTo(Duration.ofSeconds(300));
            assertThat(untouched.lease()).isEqualTo(Duration.ofSeconds(40));
            assertThat(annotated.resource().render(new Object[0])).isEqualTo("from-class");
        }
    }

    @Test
    void D6_globalTimeoutOverrideChangesBehaviour() {
        Map<String, String> config = Map.of("DistributedLock/timeout", "0");
        try (TestContainer container = TestContainer.start(config, Beans.Slot.class)) {
            container.get(LockManager.class).lock("slot", "other", 0);
            long start = System.nanoTime();
            assertThatThrownBy(() -> container.get(Beans.Slot.class).use())
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.RESOURCE_LOCKED))
                    .hasMessageContaining("PT0S");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void E1_leasesAreClampedToTheMaximum() throws Exception {
        Map<String, String> config = Map.of("dlm.lease.max", "90s");
        try (TestContainer container = TestContainer.start(config, Beans.Counter.class, Beans.Configurable.class)) {
            DlmExtension extension = container.get(DlmExtension.class);
            LockPlan counter =
                    extension.plansOf(Beans.Counter.class).get(Beans.Counter.class.getDeclaredMethod("increment"));
            LockPlan untouched = extension
                    .plansOf(Beans.Configurable.class)
                    .get(Beans.Configurable.class.getDeclaredMethod("untouched", String.class));
            assertThat(counter.lease()).isEqualTo(Duration.ofSeconds(90));
            assertThat(untouched.lease()).isEqualTo(Duration.ofSeconds(20));
        }
    }

    @Test
    void E1a_invalidLeaseSettingFailsDeploymentNamingTheKey() {
        Map<String, String> config = Map.of("dlm.lease.min", "2s", "dlm.lease.max", "1s");
        assertThatThrownBy(() -> TestContainer.start(config, Beans.Slot.class).close())
                .isInstanceOf(jakarta.enterprise.inject.spi.DefinitionException.class)
                .hasMessageContaining("DLM1012")
                .hasMessageContaining("dlm.lease.min");
    }

    @Test
    void E1_defaultLeaseFollowsFactorAndMinimum() throws Exception {
        Map<String, String> config = Map.of("dlm.lease.factor", "3", "dlm.lease.min", "2s");
        try (TestContainer container = TestContainer.start(config, Beans.Counter.class, Beans.Slot.class)) {
            DlmExtension extension = container.get(DlmExtension.class);
            LockPlan counter =
                    extension.plansOf(Beans.Counter.class).get(Beans.Counter.class.getDeclaredMethod("increment"));
            LockPlan slot = extension.plansOf(Beans.Slot.class).get(Beans.Slot.class.getDeclaredMethod("use"));
            assertThat(counter.lease()).isEqualTo(Duration.ofSeconds(180));
            assertThat(slot.lease()).isEqualTo(Duration.ofSeconds(2));
        }
    }
}
