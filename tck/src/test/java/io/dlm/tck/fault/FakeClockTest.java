package io.dlm.tck.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.dlm.tck.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process started on a {@link FakeClock} sees its wall clock off by the offset, and by the next one after a step. */
class FakeClockTest {

    @TempDir
    Path dir;

    @BeforeEach
    void requireLibfaketime() {
        if (FakeClock.library().isEmpty()) {
            String message = "libfaketime is not installed: run `bash scripts/services.sh faketime`";
            throw Prerequisites.missing(message);
        }
    }

    @Test
    void aProcessOnTheClockIsOffByTheOffsetAndFollowsAStep() throws Exception {
        FakeClock clock = FakeClock.create(dir, "-600s");
        long behind = secondsOff(clock);
        assertThat(behind).as("ten minutes behind").isBetween(-605L, -595L);

        clock.step("+3600s");
        assertThat(secondsOff(clock)).as("an hour ahead after the step").isBetween(3595L, 3605L);

        clock.step("+0");
        assertThat(secondsOff(clock)).as("back in step").isBetween(-5L, 5L);
    }

    @Test
    void offsetsAreCheckedByName() throws Exception {
        FakeClock clock = FakeClock.create(dir, "+0");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> clock.step("yesterday"))
                .withMessageContaining("offset");
        assertThatIllegalArgumentException().isThrownBy(() -> clock.step(null)).withMessageContaining("offset");
    }

    /** Runs {@code date +%s} on the clock and returns how far it is from this JVM's clock, in seconds. */
    private static long secondsOff(FakeClock clock) throws Exception {
        ProcessBuilder date = new ProcessBuilder("date", "+%s").redirectErrorStream(true);
        date.environment().putAll(clock.environment());
        Process process = date.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return Long.parseLong(output) - System.currentTimeMillis() / 1000;
    }
}
