package io.dlm.opentelemetry;

import static io.dlm.opentelemetry.LockInstruments.HELD;
import static io.dlm.opentelemetry.LockInstruments.HELD_DURATION;
import static io.dlm.opentelemetry.LockInstruments.LEASE_LOST;
import static io.dlm.opentelemetry.LockInstruments.WAIT_DURATION;
import static io.dlm.opentelemetry.MetricsReader.allPoints;
import static io.dlm.opentelemetry.MetricsReader.histogram;
import static io.dlm.opentelemetry.MetricsReader.metric;
import static io.dlm.opentelemetry.MetricsReader.sum;
import static io.dlm.opentelemetry.OpenTelemetryLockObserver.BACKEND;
import static io.dlm.opentelemetry.OpenTelemetryLockObserver.OUTCOME;
import static io.dlm.opentelemetry.OpenTelemetryLockObserver.RESOURCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.impl.DefaultLockManager;
import io.dlm.spi.Ticker;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * O1: a scripted sequence on real managers (the runtime and its in-memory backend) leaves the
 * metrics SPEC O1 names, read back from an in-memory reader of a test SDK installed with {@link
 * DlmOpenTelemetry#use}.
 */
class OpenTelemetryMetricsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Attributes MEMORY = Attributes.of(BACKEND, "memory");
    private static final Attributes LOSSY = Attributes.of(BACKEND, "lossy");

    private SdkMeterProvider meterProvider;
    private MetricsReader metrics;

    @BeforeEach
    void installSdk() {
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();
        metrics = new MetricsReader(reader);
        DlmOpenTelemetry.use(
                OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build());
    }

    @AfterEach
    void removeSdk() {
        DlmOpenTelemetry.useGlobal();
        meterProvider.close();
    }

    @Test
    void O1_aScriptedSequenceRecordsWaitsHoldsALossAndTheHeldCount() throws Exception {
        String resource = "otel-" + UUID.randomUUID();
        String lostResource = resource + "-lost";
        RefusingBackend refusing = new RefusingBackend();
        try (LockManager manager = LockManagers.inMemory();
                LockManager losing =
                        DefaultLockManager.open(refusing, Map.of("dlm.backend", "lossy"), Ticker.system())) {
            assertThat(manager.lock(resource, "first", 0)).isTrue();
            assertThat(held(metrics.collect(), MEMORY)).as("held while held").isEqualTo(1);

            assertThat(manager.lock(resource, "second", 200))
                    .as("another client's wait runs out")
                    .isFalse();
            assertThat(manager.unlock(resource, "first")).isTrue();
            assertThat(held(metrics.collect(), MEMORY))
                    .as("held after the release")
                    .isZero();

            Lease lease = losing.tryAcquire(lostResource, "keeper", Duration.ZERO, Duration.ofMillis(600))
                    .orElseThrow()
                    .keepAlive();
            assertThat(held(metrics.collect(), LOSSY)).isEqualTo(1);
            // The engine refuses the next renewal: the lease is lost (K3).
            refusing.refuseRenewals = true;
            lease.lost().toCompletableFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(sum(metrics.collect(), LEASE_LOST, LOSSY))
                            .contains(1L));

            Collection<MetricData> all = metrics.collect();

            assertThat(metric(all, WAIT_DURATION).getUnit()).isEqualTo("s");
            HistogramPointData acquired = histogram(all, WAIT_DURATION, waitOf("memory", "acquired"));
            assertThat(acquired.getCount()).isEqualTo(1);
            assertThat(acquired.getSum()).as("a free lock, seconds").isBetween(0.0, 0.19);
            HistogramPointData timedOut = histogram(all, WAIT_DURATION, waitOf("memory", "timed_out"));
            assertThat(timedOut.getCount()).isEqualTo(1);
            assertThat(timedOut.getSum()).as("the 200 ms wait, seconds").isBetween(0.19, 10.0);
            assertThat(timedOut.getBoundaries()).isEqualTo(LockInstruments.WAIT_BUCKETS);
            assertThat(histogram(all, WAIT_DURATION, waitOf("lossy", "acquired"))
                            .getCount())
                    .isEqualTo(1);
            assertThat(metric(all, WAIT_DURATION).getHistogramData().getPoints())
                    .as("acquired and timed out on memory, acquired on lossy")
                    .hasSize(3);

            assertThat(metric(all, HELD_DURATION).getUnit()).isEqualTo("s");
            HistogramPointData released = histogram(all, HELD_DURATION, MEMORY);
            assertThat(released.getCount()).isEqualTo(1);
            assertThat(released.getSum())
                    .as("held across the other client's 200 ms wait, seconds")
                    .isBetween(0.19, 10.0);
            HistogramPointData heldUntilLost = histogram(all, HELD_DURATION, LOSSY);
            assertThat(heldUntilLost.getCount()).as("a lost hold ends too").isEqualTo(1);
            assertThat(heldUntilLost.getSum()).isPositive();

            assertThat(sum(all, LEASE_LOST, LOSSY)).contains(1L);
            assertThat(sum(all, LEASE_LOST, MEMORY)).as("no loss on memory").isEmpty();
            assertThat(held(all, MEMORY)).isZero();
            assertThat(held(all, LOSSY)).as("held after the loss").isZero();

            assertThat(allPoints(all))
                    .as("no resource attribute unless asked for")
                    .allSatisfy(p -> assertThat(p.getAttributes().get(RESOURCE)).isNull());
        }
    }

    @Test
    void O1_aWaitThatFailsIsRecordedAsAnError() {
        RefusingBackend failing = new RefusingBackend();
        failing.failAcquisitions = true;
        try (LockManager manager = DefaultLockManager.open(failing, Map.of("dlm.backend", "broken"), Ticker.system())) {
            assertThatThrownBy(() -> manager.lock("otel-error", "client", 0)).isInstanceOf(LockException.class);
        }
        HistogramPointData error = histogram(metrics.collect(), WAIT_DURATION, waitOf("broken", "error"));
        assertThat(error.getCount()).isEqualTo(1);
    }

    @Test
    void O1_theResourceIsAnAttributeOnlyWhenTheSettingAsksForIt() {
        String resource = "otel-resource-" + UUID.randomUUID();
        try (LockManager manager = LockManagers.open(
                        "memory", Map.of(OpenTelemetryLockObserverFactory.RESOURCE_ATTRIBUTE_SETTING, "true"));
                LockManager plain = LockManagers.inMemory()) {
            assertThat(manager.lock(resource, "a", 0)).isTrue();
            assertThat(manager.unlock(resource, "a")).isTrue();
            assertThat(plain.lock(resource, "b", 0)).isTrue();
            assertThat(plain.unlock(resource, "b")).isTrue();
            // Read while the managers are open: a closed manager leaves the held count at once.
            assertThat(held(metrics.collect(), MEMORY))
                    .as("the held count never carries the resource: one series per backend")
                    .isZero();
        }
        Collection<MetricData> all = metrics.collect();
        Attributes withResource =
                waitOf("memory", "acquired").toBuilder().put(RESOURCE, resource).build();
        assertThat(histogram(all, WAIT_DURATION, withResource).getCount()).isEqualTo(1);
        assertThat(histogram(
                                all,
                                HELD_DURATION,
                                MEMORY.toBuilder().put(RESOURCE, resource).build())
                        .getCount())
                .isEqualTo(1);
        assertThat(histogram(all, WAIT_DURATION, waitOf("memory", "acquired")).getCount())
                .as("the manager without the setting, no resource")
                .isEqualTo(1);
    }

    @Test
    void O1_aClosedManagerLeavesTheHeldCountAtOnce() {
        LockManager closing = LockManagers.inMemory();
        try (LockManager staying = LockManagers.inMemory()) {
            assertThat(closing.lock("otel-closing-" + UUID.randomUUID(), "a", 60_000))
                    .isTrue();
            assertThat(staying.lock("otel-staying-" + UUID.randomUUID(), "b", 60_000))
                    .isTrue();
            assertThat(held(metrics.collect(), MEMORY)).isEqualTo(2);
            closing.close();
            assertThat(held(metrics.collect(), MEMORY))
                    .as("the closed manager's lock no longer counts, though it is not collected yet")
                    .isEqualTo(1);
        } finally {
            closing.close();
        }
    }

    @Test
    void O1_heldCountsEveryManagerOfABackendOnce() {
        try (LockManager one = LockManagers.inMemory();
                LockManager two = LockManagers.inMemory()) {
            assertThat(one.lock("otel-a", "a", 0)).isTrue();
            assertThat(two.lock("otel-b", "b", 0)).isTrue();
            assertThat(two.lock("otel-c", "b", 0)).isTrue();
            assertThat(held(metrics.collect(), MEMORY)).isEqualTo(3);
        }
    }

    private static long held(Collection<MetricData> all, Attributes attributes) {
        return sum(all, HELD, attributes)
                .orElseThrow(() -> new AssertionError("no " + HELD + " point with " + attributes + " in " + all));
    }

    private static Attributes waitOf(String backend, String outcome) {
        return Attributes.of(BACKEND, backend, OUTCOME, outcome);
    }
}
