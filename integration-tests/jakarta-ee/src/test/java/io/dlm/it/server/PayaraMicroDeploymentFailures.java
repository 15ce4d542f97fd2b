package io.dlm.it.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.container.spi.client.container.DeploymentException;
import org.jboss.arquillian.container.spi.client.deployment.DeploymentDescription;
import org.jboss.arquillian.container.spi.event.DeployDeployment;
import org.jboss.arquillian.core.api.annotation.Observes;
import org.jboss.arquillian.core.spi.EventContext;
import org.jboss.shrinkwrap.api.Archive;

/**
 * Makes a deployment that Payara Micro refuses fail in the test, as it does with the other
 * servers' adapters. Payara's adapter (arquillian-payara-micro-managed 3.1) starts one Payara
 * Micro per deployment; when the server refuses the application it logs the error, starts with
 * nothing deployed, and the adapter reports success. This observer records the server's console
 * (the adapter copies it to {@code System.out}) while the adapter deploys; if the server does not
 * list the application as deployed, it stops that server and fails the deployment with the
 * errors the server logged. It does nothing for another server's adapter.
 */
public final class PayaraMicroDeploymentFailures {

    /** Created by Arquillian. */
    public PayaraMicroDeploymentFailures() {}

    /**
     * Deploys, and for Payara Micro checks that the server deployed the application.
     *
     * @param context the deployment
     * @throws Exception the adapter's failure, or a {@link DeploymentException} with the errors
     *     Payara Micro logged when it refused the application
     */
    public void deploy(@Observes EventContext<DeployDeployment> context) throws Exception {
        DeployableContainer<?> container = context.getEvent().getDeployableContainer();
        DeploymentDescription description = context.getEvent().getDeployment().getDescription();
        if (!container.getClass().getName().startsWith("fish.payara.") || !description.isArchiveDeployment()) {
            context.proceed();
            return;
        }
        // Payara Micro colours its console (ANSI escapes): the text without them.
        String log = recordingConsole(context).replaceAll("\\x1B\\[[0-9;]*m", "");
        Archive<?> archive =
                description.getTestableArchive() != null ? description.getTestableArchive() : description.getArchive();
        String application = archive.getName().replaceFirst("\\.[a-z]+$", "");
        if (log.contains("\"Name\": \"" + application + "\"")) {
            return;
        }
        DeploymentException failure = new DeploymentException("Payara Micro did not deploy " + archive.getName()
                + "; the errors it logged:\n" + String.join("\n", severeRecords(log)));
        // The adapter started a server for this application: stop it, as the failed deployment
        // will not be undeployed.
        container.undeploy(archive);
        context.getEvent().getDeployment().deployedWithError(failure);
        throw failure;
    }

    private static String recordingConsole(EventContext<DeployDeployment> context) {
        PrintStream console = System.out;
        ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(console, recorded), true, Charset.defaultCharset()));
        try {
            context.proceed();
        } finally {
            System.setOut(console);
        }
        synchronized (recorded) {
            return recorded.toString(Charset.defaultCharset());
        }
    }

    /** The records of level SEVERE, with their continuation lines (Payara's ODL log format). */
    private static List<String> severeRecords(String log) {
        List<String> records = new ArrayList<>();
        StringBuilder record = null;
        for (String line : log.split("\\R")) {
            boolean start = line.matches("^\\[\\d{4}-\\d\\d-\\d\\dT.*");
            if (start) {
                if (record != null) {
                    records.add(record.toString());
                }
                record = line.contains("[SEVERE]") ? new StringBuilder(line) : null;
            } else if (record != null) {
                record.append('\n').append(line);
            }
        }
        if (record != null) {
            records.add(record.toString());
        }
        if (records.isEmpty()) {
            records.add("(none: see the server's output above)");
        }
        return records;
    }

    /** Writes to the console and to the record. */
    private static final class Tee extends OutputStream {

        private final OutputStream console;
        private final ByteArrayOutputStream recorded;

        Tee(OutputStream console, ByteArrayOutputStream recorded) {
            this.console = console;
            this.recorded = recorded;
        }

        @Override
        public void write(int b) {
            synchronized (recorded) {
                recorded.write(b);
            }
            try {
                console.write(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (recorded) {
                recorded.write(b, off, len);
            }
            try {
                console.write(b, off, len);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void flush() {
            try {
                console.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
