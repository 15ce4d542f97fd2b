package io.dlm.it.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.it.server.app.Statements;
import jakarta.inject.Inject;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * D6 and D8: in the server, the application's {@code META-INF/microprofile-config.properties} (read
 * through the server's MicroProfile Config) overrides an annotation member, and the other
 * methods keep what their annotations say.
 */
@ExtendWith(ArquillianExtension.class)
class ConfigurationOverridesTest {

    @Inject
    Statements statements;

    @Inject
    LockManager manager;

    /**
     * The application with its configuration.
     *
     * @return the deployment
     */
    @Deployment
    static WebArchive application() {
        String config = "dlm.backend=memory\n" + Statements.class.getName()
                + "/configured/DistributedLock/resource=from-config-{account}\n";
        return ShrinkWrap.create(WebArchive.class, "dlm-configured.war")
                .addClasses(Statements.class)
                .addAsResource(new StringAsset(config), "META-INF/microprofile-config.properties");
    }

    @Test
    void D6_theApplicationsConfigurationOverridesTheAnnotation() {
        String account = UUID.randomUUID().toString();
        assertThat(statements.configured(account).resourceId()).isEqualTo("from-config-" + account);
        assertThat(manager.inspect("from-config-" + account))
                .as("released after the call")
                .isEmpty();
    }

    @Test
    void D6_aMethodWithoutOverridesKeepsItsAnnotation() {
        String account = UUID.randomUUID().toString();
        assertThat(statements.annotated(account).resourceId()).isEqualTo("statement-" + account);
    }
}
