package io.dlm.it.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.it.server.app.Broken;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * D5 and D8: the server refuses to deploy an application with invalid {@code @DistributedLock}
 * annotations, and the failure it reports names every problem with its bean and method.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class InvalidAnnotationFailsDeploymentTest {

    private static final String BROKEN = "broken";

    @ArquillianResource
    Deployer deployer;

    /**
     * The application; deployed by the test, which expects the server to refuse it.
     *
     * @return the deployment
     */
    @Deployment(name = BROKEN, managed = false, testable = false)
    static WebArchive broken() {
        return ShipDlmInWebInfLib.withDlm(
                ShrinkWrap.create(WebArchive.class, "dlm-broken.war").addClasses(Broken.class));
    }

    @Test
    void D5_invalidAnnotationsFailTheDeploymentWithEveryProblemNamed() {
        assertThatThrownBy(() -> deployer.deploy(BROKEN))
                .hasStackTraceContaining("DLM1000: 2 invalid @DistributedLock annotations")
                .hasStackTraceContaining("DLM1005: Invalid @DistributedLock.resource on Broken#misspelt")
                .hasStackTraceContaining("DLM1001: Invalid @DistributedLock.timeout on Broken#negative");
    }
}
