package io.dlm.benchmarks;

import io.dlm.opentelemetry.DlmOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import java.time.Duration;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * The {@code metrics} parameter of the benchmarks that price DLM's O1 metrics, installed before
 * the benchmark opens its manager: {@code none} leaves the OpenTelemetry API with no SDK (the
 * no-op global, so DLM adds no observer), {@code sdk} records into an SDK meter provider that
 * collects every second, as an exporting application does, and drops what it collects. {@code
 * observer} splits the cost: an SDK meter provider with no reader hands out no-op instruments, so
 * DLM's observer and the runtime's hold tracking run while the SDK records nothing.
 */
public final class BenchmarkMetrics implements AutoCloseable {

    private final @Nullable SdkMeterProvider provider;

    private BenchmarkMetrics(@Nullable SdkMeterProvider provider) {
        this.provider = provider;
    }

    /**
     * Installs the setting for the managers opened from now on.
     *
     * @param setting {@code none}, {@code observer} or {@code sdk}
     * @return what to close once the benchmark's managers are closed
     */
    public static BenchmarkMetrics install(String setting) {
        switch (setting) {
            case "none":
                DlmOpenTelemetry.useGlobal();
                return new BenchmarkMetrics(null);
            case "sdk":
                SdkMeterProvider provider = SdkMeterProvider.builder()
                        .registerMetricReader(PeriodicMetricReader.builder(new DroppingExporter())
                                .setInterval(Duration.ofSeconds(1))
                                .build())
                        .build();
                DlmOpenTelemetry.use(
                        OpenTelemetrySdk.builder().setMeterProvider(provider).build());
                return new BenchmarkMetrics(provider);
            case "observer":
                SdkMeterProvider unread = SdkMeterProvider.builder().build();
                DlmOpenTelemetry.use(
                        OpenTelemetrySdk.builder().setMeterProvider(unread).build());
                return new BenchmarkMetrics(unread);
            default:
                throw new IllegalArgumentException("metrics must be none, observer or sdk, not " + setting);
        }
    }

    @Override
    public void close() {
        DlmOpenTelemetry.useGlobal();
        if (provider != null) {
            provider.close();
        }
    }

    /** Takes each collection and drops it: the SDK's work stays, no I/O is measured. */
    private static final class DroppingExporter implements MetricExporter {
        @Override
        public CompletableResultCode export(Collection<MetricData> metrics) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }
    }
}
