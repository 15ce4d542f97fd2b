package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.enterprise.inject.spi.DefinitionException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Invalid annotations fail the deployment with every problem listed (D5). */
class ValidationTest {

    @Test
    void D5_everyInvalidAnnotationIsReportedNamingBeanAndMethod() {
        assertThatThrownBy(() ->
                        TestContainer.start(InvalidBeans.OrderService.class).close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1000: 7 invalid @DistributedLock annotations")
                .hasMessageContaining(
                        "DLM1001: Invalid @DistributedLock.timeout on OrderService#ship: must not be negative")
                .hasMessageContaining("DLM1005: Invalid @DistributedLock.resource on OrderService#cancel: no parameter"
                        + " named 'orderId'; parameters are [id]")
                .hasMessageContaining(
                        "DLM1006: Invalid @DistributedLock.resource on OrderService#refund: {2} is out" + " of range")
                .hasMessageContaining("DLM1009: Invalid @DistributedLock.resource on OrderService#track")
                .hasMessageContaining("DLM1002: Invalid @DistributedLock.lease on OrderService#archive")
                .hasMessageContaining("DLM1008: Invalid @DistributedLock.resource on OrderService#malformed")
                .hasMessageContaining("DLM1004: Invalid @DistributedLock.unit on OrderService#monthly");
    }

    @Test
    void D5_leaseShorterThanHeartbeatIntervalFailsDeployment() {
        Map<String, String> config = Map.of(DlmConfig.HEARTBEAT_INTERVAL, "1s");
        assertThatThrownBy(() -> TestContainer.start(config, InvalidBeans.ShortLease.class)
                        .close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1003: Invalid @DistributedLock.lease on ShortLease#run");
        TestContainer.start(config, InvalidBeans.Valid.class).close();
    }

    @Test
    void D5_leaseEqualToHeartbeatIntervalFailsDeployment() {
        // The renewal would leave just as the lease runs out, and lose the race with the expiry.
        Map<String, String> config = Map.of(DlmConfig.HEARTBEAT_INTERVAL, "PT1S");
        assertThatThrownBy(() -> TestContainer.start(config, InvalidBeans.EqualLease.class)
                        .close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1003: Invalid @DistributedLock.lease on EqualLease#run")
                .hasMessageContaining("is not longer than the heartbeat interval PT1S");
        TestContainer.start(Map.of(DlmConfig.HEARTBEAT_INTERVAL, "999ms"), InvalidBeans.EqualLease.class)
                .close();
    }

    @Test
    void D5_invalidOverrideFailsDeployment() {
        Map<String, String> config = Map.of("DistributedLock/timeout", "soon");
        assertThatThrownBy(() ->
                        TestContainer.start(config, InvalidBeans.Valid.class).close())
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("DLM1010: Invalid @DistributedLock.timeout on Valid#run: config key"
                        + " 'DistributedLock/timeout' has value 'soon'");
    }

    @Test
    void D5_parameterNamesWithoutDashParametersAreRejected() throws Exception {
        // JDK classes are compiled without -parameters, so their parameter names are absent.
        Method substring = String.class.getMethod("substring", int.class);
        assertThat(substring.getParameters()[0].isNamePresent()).isFalse();
        List<String> problems = new ArrayList<>();

        assertThat(ResourceTemplate.parse("{beginIndex}", substring, "String#substring", problems::add))
                .isNull();
        assertThat(problems).singleElement().asString().contains("DLM1007").contains("-parameters");
        assertThat(ResourceTemplate.parse("at-{0}", substring, "String#substring", problems::add)
                        .render(new Object[] {3}))
                .isEqualTo("at-3");
    }
}
