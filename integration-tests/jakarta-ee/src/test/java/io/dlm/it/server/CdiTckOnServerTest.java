package io.dlm.it.server;

import io.dlm.tck.cdi.DistributedLockCdiTck;

/**
 * D8: the CDI part of the TCK (D1-D4) inside a Jakarta EE server (WildFly by default; Payara
 * Micro or Open Liberty with their profiles), deployed as a web application that ships DLM in
 * {@code WEB-INF/lib} ({@link ShipDlmInWebInfLib}); the server's own CDI container runs the
 * portable extension.
 */
class CdiTckOnServerTest extends DistributedLockCdiTck {}
