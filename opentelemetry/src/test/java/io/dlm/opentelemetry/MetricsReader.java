package io.dlm.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Reads DLM's metrics back from an in-memory reader, one collection at a time. */
final class MetricsReader {

    private final InMemoryMetricReader reader;

    MetricsReader(InMemoryMetricReader reader) {
        this.reader = reader;
    }

    /** A fresh collection: cumulative totals, and the held count as of now. */
    Collection<MetricData> collect() {
        return reader.collectAllMetrics();
    }

    static HistogramPointData histogram(Collection<MetricData> metrics, String name, Attributes attributes) {
        return point(metric(metrics, name).getHistogramData().getPoints(), name, attributes)
                .orElseThrow(() -> new AssertionError("no " + name + " point with " + attributes + " in " + metrics));
    }

    static Optional<Long> sum(Collection<MetricData> metrics, String name, Attributes attributes) {
        return metrics.stream()
                .filter(m -> m.getName().equals(name))
                .findFirst()
                .flatMap(m -> point(m.getLongSumData().getPoints(), name, attributes))
                .map(LongPointData::getValue);
    }

    static MetricData metric(Collection<MetricData> metrics, String name) {
        List<MetricData> found =
                metrics.stream().filter(m -> m.getName().equals(name)).collect(Collectors.toList());
        assertThat(found).as("metric %s among %s", name, metrics).hasSize(1);
        MetricData metric = found.get(0);
        assertThat(metric.getInstrumentationScopeInfo().getName()).isEqualTo(LockInstruments.SCOPE);
        return metric;
    }

    /** Every point of every DLM metric. */
    static List<PointData> allPoints(Collection<MetricData> metrics) {
        return metrics.stream().flatMap(m -> m.getData().getPoints().stream()).collect(Collectors.toList());
    }

    private static <P extends PointData> Optional<P> point(Collection<P> points, String name, Attributes attributes) {
        List<P> found = points.stream()
                .filter(p -> p.getAttributes().equals(attributes))
                .collect(Collectors.toList());
        assertThat(found).as("%s points with %s", name, attributes).hasSizeLessThanOrEqualTo(1);
        return found.stream().findFirst();
    }
}
