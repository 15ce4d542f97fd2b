package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * O3 costs nothing where JFR is missing: in a JVM without the {@code jdk.jfr} module (a jlinked
 * image, a server that does not show it to applications, as WildFly does), every lock call works.
 */
class WithoutJfrModuleTest {

    @Test
    void O3_locksWorkInAJvmWithoutTheJfrModule() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(
                        java,
                        "--limit-modules",
                        "java.base,java.logging",
                        "-cp",
                        System.getProperty("java.class.path"),
                        LocksWithoutJfr.class.getName()))
                .redirectErrorStream(true)
                .start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the JVM ended").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit status; output:%n%s", output).isZero();
        assertThat(output).contains("OK");
    }
}
