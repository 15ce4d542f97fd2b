package io.dlm.it.wildfly;

import io.dlm.tck.cdi.DistributedLockCdiTck;

/**
 * D8: the CDI part of the TCK (D1-D4) inside WildFly, deployed as a web application that ships
 * DLM in {@code WEB-INF/lib} ({@link ShipDlmInWebInfLib}); the server's own Weld runs the
 * portable extension.
 */
class WildFlyCdiTckTest extends DistributedLockCdiTck {}
