package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.Ticker;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * O3: the runtime records JFR events for lock waits, holds and lost leases, with resource,
 * client, backend, token and durations; the settings file DLM ships enables them. The events are
 * read back from a recording file, as an operator reads them.
 */
class JfrEventsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void O3_theShippedSettingsEnableEveryEvent() throws Exception {
        Map<String, String> settings = shippedSettings().getSettings();
        for (String event : List.of(LockWaitEvent.NAME, LockHeldEvent.NAME, LeaseLostEvent.NAME)) {
            assertThat(settings).containsEntry(event + "#enabled", "true");
        }
        assertThat(settings).containsEntry(LockWaitEvent.NAME + "#threshold", "10 ms");
        assertThat(settings).containsEntry(LockWaitEvent.NAME + "#stackTrace", "true");
    }

    @Test
    void O3_waitsHoldsAndALostLeaseAreRecorded() throws Exception {
        String resource = "jfr-" + UUID.randomUUID();
        String lostResource = resource + "-lost";
        Path file = dir.resolve("dlm.jfr");
        RenewalsRefused refusing = new RenewalsRefused();
        try (Recording recording = new Recording(shippedSettings());
                LockManager manager = LockManagers.inMemory();
                LockManager losing =
                        DefaultLockManager.open(refusing, Map.of("dlm.backend", "memory"), Ticker.system())) {
            // Every wait and hold, however short: the scripted ones below take microseconds.
            recording.enable(LockWaitEvent.NAME).withThreshold(Duration.ZERO);
            recording.enable(LockHeldEvent.NAME).withThreshold(Duration.ZERO);
            recording.start();

            // A long lease (twice the timeout): it must outlast the other client's wait on a slow machine.
            assertThat(manager.lock(resource, "first", 30_000)).isTrue();
            assertThat(manager.lock(resource, "second", 200))
                    .as("a wait that runs out")
                    .isFalse();
            assertThat(manager.unlock(resource, "first")).isTrue();

            Lease lease = losing.tryAcquire(lostResource, "keeper", Duration.ZERO, Duration.ofMillis(600))
                    .orElseThrow()
                    .keepAlive();
            // The engine refuses the next renewal: the lease is lost (K3).
            refusing.refuse = true;
            lease.lost().toCompletableFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);

            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.dlm."))
                .filter(e -> Objects.equals(e.getString("resourceId"), resource)
                        || Objects.equals(e.getString("resourceId"), lostResource))
                .collect(Collectors.toList());

        RecordedEvent acquired = only(events, LockWaitEvent.NAME, resource, "first");
        assertThat(acquired.getString("outcome")).isEqualTo("acquired");
        assertThat(acquired.getString("backend")).isEqualTo("memory");
        assertThat(acquired.getLong("fencingToken")).isPositive();
        assertThat(acquired.getStackTrace()).as("the stack that asked").isNotNull();

        RecordedEvent timedOut = only(events, LockWaitEvent.NAME, resource, "second");
        assertThat(timedOut.getString("outcome")).isEqualTo("timed_out");
        assertThat(timedOut.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(190));
        assertThat(timedOut.getLong("fencingToken")).isZero();

        RecordedEvent held = only(events, LockHeldEvent.NAME, resource, "first");
        assertThat(held.getString("endedBy")).isEqualTo("released");
        assertThat(held.getLong("fencingToken")).isEqualTo(acquired.getLong("fencingToken"));
        assertThat(held.getDuration())
                .as("held from the grant to the release, across the other client's 200 ms wait")
                .isGreaterThanOrEqualTo(Duration.ofMillis(190));

        RecordedEvent lost = only(events, LeaseLostEvent.NAME, lostResource, "keeper");
        assertThat(lost.getString("reason")).isNotBlank();
        assertThat(lost.getString("backend")).isEqualTo("memory");
        assertThat(lost.getLong("heldFor")).isPositive();
        RecordedEvent heldUntilLost = only(events, LockHeldEvent.NAME, lostResource, "keeper");
        assertThat(heldUntilLost.getString("endedBy")).isEqualTo("lost");
        assertThat(heldUntilLost.getLong("fencingToken")).isEqualTo(lost.getLong("fencingToken"));
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name, String resource, String client) {
        List<RecordedEvent> found = events.stream()
                .filter(e -> e.getEventType().getName().equals(name))
                .filter(e -> resource.equals(e.getString("resourceId")) && client.equals(e.getString("clientId")))
                .collect(Collectors.toList());
        assertThat(found)
                .as("%s events of %s by %s among %s", name, resource, client, events)
                .hasSize(1);
        return found.get(0);
    }

    private static Configuration shippedSettings() throws Exception {
        try (Reader reader = new InputStreamReader(
                Objects.requireNonNull(
                        LockTelemetry.class.getResourceAsStream("/META-INF/jfr/dlm.jfc"), "dlm.jfc on the class path"),
                StandardCharsets.UTF_8)) {
            return Configuration.create(reader);
        }
    }
}
