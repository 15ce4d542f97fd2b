package io.dlm.cdi;

import jakarta.enterprise.inject.spi.DefinitionException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.ShouldThrowException;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.EmptyAsset;
import org.jboss.shrinkwrap.api.spec.JavaArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** D5 in a deployed archive: an invalid annotation fails the deployment, not the first call. */
@ExtendWith(ArquillianExtension.class)
class InvalidDeploymentArquillianTest {

    @Deployment
    @ShouldThrowException(DefinitionException.class)
    static JavaArchive deployment() {
        return ShrinkWrap.create(JavaArchive.class)
                .addClasses(
                        InvalidBeans.class, InvalidBeans.OrderService.class, Beans.Order.class, Beans.Customer.class)
                .addAsManifestResource(EmptyAsset.INSTANCE, "beans.xml");
    }

    @Test
    void D5_invalidAnnotationFailsTheDeployment() {
        // Runs only when the deployment failed with a DefinitionException.
    }
}
