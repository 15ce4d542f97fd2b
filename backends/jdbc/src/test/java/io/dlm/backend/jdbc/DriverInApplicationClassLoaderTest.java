package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.DriverManager;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A manager on {@code dlm.jdbc.url} opens when DLM, HikariCP and the driver sit in a class loader
 * of the application's own, as in a web application's {@code WEB-INF/lib} or a Quarkus
 * application started again in the same JVM, while DriverManager already knows the same driver
 * loaded by another class loader: DriverManager hands that one to nobody else, and HikariCP,
 * asking it alone, failed with "No suitable driver".
 */
class DriverInApplicationClassLoaderTest {

    @Test
    void aManagerOnAUrlOpensInAClassLoaderOfItsOwn() throws Exception {
        // The driver as another application (here: this class path) registered it.
        Class.forName("org.h2.Driver");
        assertThat(DriverManager.getDrivers().asIterator())
                .toIterable()
                .anySatisfy(driver -> assertThat(driver.getClass().getName()).isEqualTo("org.h2.Driver"));

        String url = "jdbc:h2:mem:dlm-classloader-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> settings =
                Map.of("dlm.jdbc.url", url, "dlm.jdbc.user", "sa", "dlm.jdbc.create-table", "true");
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader application = new URLClassLoader(testClassPath(), ClassLoader.getPlatformClassLoader())) {
            // As the application's container does while it runs the application's code.
            Thread.currentThread().setContextClassLoader(application);
            Object manager = application
                    .loadClass("io.dlm.LockManagers")
                    .getMethod("open", String.class, Map.class)
                    .invoke(null, "jdbc", settings);
            try {
                Object held = application
                        .loadClass("io.dlm.LockManager")
                        .getMethod("lock", String.class, String.class, long.class)
                        .invoke(manager, "r", "c", 0L);
                assertThat(held).isEqualTo(true);
            } finally {
                ((AutoCloseable) manager).close();
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** The test's class path, which surefire names in a property (its own is a manifest jar). */
    private static URL[] testClassPath() {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(path.split(File.pathSeparator))
                .map(DriverInApplicationClassLoaderTest::url)
                .toArray(URL[]::new);
    }

    private static URL url(String entry) {
        try {
            return new File(entry).toURI().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(entry, e);
        }
    }
}
