package io.dlm.it.server;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.spi.client.deployment.ApplicationArchiveProcessor;
import org.jboss.arquillian.test.spi.TestClass;
import org.jboss.shrinkwrap.api.Archive;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * Puts DLM and what it needs at run time into {@code WEB-INF/lib} of each web archive a test
 * deploys, the way an application ships a library its server does not provide. The jars are the
 * ones the build copied from this module's runtime dependencies (system property {@code
 * dlm.it.libs}); CDI and MicroProfile Config come from the server. For a test that runs inside
 * the server, the abstract classes it extends go in too.
 */
public final class ShipDlmInWebInfLib implements ApplicationArchiveProcessor {

    /** Created by Arquillian. */
    public ShipDlmInWebInfLib() {}

    @Override
    public void process(Archive<?> archive, TestClass testClass) {
        if (!(archive instanceof WebArchive)) {
            throw new IllegalStateException(
                    "DLM's server tests deploy web archives only; " + testClass.getName() + " deploys " + archive);
        }
        WebArchive war = withDlm((WebArchive) archive);
        // Arquillian adds a test that runs in the server, but not the classes it extends (the TCK's).
        for (Class<?> type = testClass.getJavaClass().getSuperclass();
                type.getName().startsWith("io.dlm.");
                type = type.getSuperclass()) {
            war.addClass(type);
        }
    }

    /**
     * Adds DLM's jars to an application. Arquillian runs processors only on deployments that run
     * tests in the server, so a test deploying an application of its own (as the D5 test does)
     * calls this itself.
     *
     * @param war the application
     * @return the same application, with DLM in {@code WEB-INF/lib}
     */
    public static WebArchive withDlm(WebArchive war) {
        return war.addAsLibraries(libraries());
    }

    private static File[] libraries() {
        String dir = System.getProperty("dlm.it.libs");
        if (dir == null) {
            throw new IllegalStateException("system property dlm.it.libs (the jars to deploy) is not set");
        }
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            List<File> jars = files.filter(p -> p.toString().endsWith(".jar"))
                    .map(Path::toFile)
                    .collect(Collectors.toList());
            if (jars.isEmpty()) {
                throw new IllegalStateException("no jars in " + dir + ": run the build's process-test-resources");
            }
            return jars.toArray(new File[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
