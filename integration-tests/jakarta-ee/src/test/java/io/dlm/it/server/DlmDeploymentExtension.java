package io.dlm.it.server;

import org.jboss.arquillian.container.test.spi.client.deployment.ApplicationArchiveProcessor;
import org.jboss.arquillian.core.spi.LoadableExtension;

/**
 * Registers {@link ShipDlmInWebInfLib} and {@link PayaraMicroDeploymentFailures} with Arquillian
 * (found through {@code META-INF/services}).
 */
public final class DlmDeploymentExtension implements LoadableExtension {

    /** Created by Arquillian. */
    public DlmDeploymentExtension() {}

    @Override
    public void register(ExtensionBuilder builder) {
        builder.service(ApplicationArchiveProcessor.class, ShipDlmInWebInfLib.class);
        builder.observer(PayaraMicroDeploymentFailures.class);
    }
}
