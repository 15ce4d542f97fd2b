package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The local record that lets {@code close} release what this manager still holds (C1). */
class HeldLeasesTest {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final long GRACE = TimeUnit.SECONDS.toNanos(5);

    @Test
    void releasedAndLostLeasesAreForgottenOnlyForTheirOwnHolder() {
        HeldLeases held = new HeldLeases(GRACE);
        long now = System.nanoTime();
        held.acquired("a", "one", HOUR, now);
        held.acquired("b", "two", HOUR, now);
        held.ended("a", "someone else");
        held.ended("b", "two");
        assertThat(held.live()).containsOnlyKeys("a").containsEntry("a", "one");
    }

    @Test
    void expiredLeasesAreNotReleasedAtCloseAndRenewalsKeepThemLive() {
        HeldLeases held = new HeldLeases(GRACE);
        long now = System.nanoTime();
        // Started two hours ago with a one-hour lease: long gone, grace included.
        held.acquired("expired", "c", HOUR, now - 2 * HOUR);
        held.acquired("renewed", "c", HOUR, now - 2 * HOUR);
        held.renewed("renewed", "c", now);
        held.acquired("centuries", "c", Long.MAX_VALUE, now - 2 * HOUR);
        assertThat(held.live()).containsOnlyKeys("renewed", "centuries");
    }

    @Test
    void abandonedLeasesAreSweptSoTheRecordDoesNotGrowForever() {
        HeldLeases held = new HeldLeases(GRACE);
        long longAgo = System.nanoTime() - 2 * HOUR;
        for (int i = 0; i < 5_000; i++) {
            held.acquired("abandoned-" + i, "c", TimeUnit.MILLISECONDS.toNanos(100), longAgo);
        }
        held.acquired("live", "c", HOUR, System.nanoTime());
        assertThat(held.size()).isLessThan(1_100);
        assertThat(held.live()).containsKey("live");
    }
}
