package io.dlm.benchmarks.cost;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;

/**
 * Draws the cost curves as PNG files from the JSON that JMH wrote ({@code -rf json}) for {@link
 * HeldLocksBenchmark}, {@link WaitersCurveBenchmark} and {@link KeptAliveLeasesBenchmark}, and
 * prints the same figures as Markdown tables. Every {@code *.json} file of the input directory is
 * read; a curve whose benchmark did not run is left out. The size axis is logarithmic everywhere,
 * times too; bytes and CPU are linear, so that noise around zero stays visible.
 *
 * <pre>{@code
 * java -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.cost.CostPlots \
 *     benchmarks/plots/json benchmarks/plots
 * }</pre>
 */
public final class CostPlots {

    private static final String HELD = "io.dlm.benchmarks.cost.HeldLocksBenchmark.oneMoreLock";
    private static final String WAITERS = "io.dlm.benchmarks.cost.WaitersCurveBenchmark.handOffThroughTheQueue";
    private static final String KEPT = "io.dlm.benchmarks.cost.KeptAliveLeasesBenchmark.keepAliveWindow";

    /** One colour per engine or handoff in every chart, so that the plots read alike. */
    private static final Map<String, Color> COLORS = Map.of(
            "MEMORY", new Color(0xE69F00),
            "REDIS", new Color(0xD55E00),
            "POSTGRESQL", new Color(0x0072B2),
            "ETCD", new Color(0x009E73),
            "ZOOKEEPER", new Color(0xCC79A7),
            "DLM", new Color(0x0072B2),
            "PARK_UNPARK", new Color(0x999999));

    /**
     * One of {@link KeptAliveLeasesBenchmark}'s CPU figures, each drawn per engine on one chart.
     *
     * @param whose whose CPU time it is, for the series' names
     * @param name the secondary result's name
     */
    private record CpuFigure(String whose, String name) {}

    private static final List<CpuFigure> CPU_FIGURES = List.of(
            new CpuFigure("client process", "processCpuMicrosPerLeaseSecond"),
            new CpuFigure("client dlm-* threads", "dlmCpuMicrosPerLeaseSecond"),
            new CpuFigure("Redis server", "engineCpuMicrosPerLeaseSecond"));

    private static final BasicStroke[] LINES = {SeriesLines.SOLID, SeriesLines.DASH_DASH, SeriesLines.DOT_DOT};

    private final List<Row> rows;
    private final Path out;

    private CostPlots(List<Row> rows, Path out) {
        this.rows = rows;
        this.out = out;
    }

    /**
     * Reads the JSON files and writes the PNG files.
     *
     * @param args the directory of JMH JSON files, and the directory for the PNG files
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: CostPlots <directory of JMH JSON files> <directory for the PNG files>");
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(args[0]))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                String text = Files.readString(file);
                if (text.isBlank()) {
                    System.out.println("skipped " + file + ": empty (a run still going, or one that failed)");
                } else {
                    rows.addAll(Row.readAll(text));
                }
            }
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        new CostPlots(rows, out).drawAll();
    }

    private void drawAll() throws IOException {
        // Held locks, one series per engine.
        Function<Row, String> byEngine = row -> row.param("engine");
        draw(
                "held-locks-time",
                "One more lock (acquire + release) beside N held locks",
                HELD,
                "heldLocks",
                "held locks (log)",
                "us per acquire + release (log)",
                true,
                byEngine,
                Row::primary);
        draw(
                "held-locks-engine-bytes",
                "Engine memory per held lock",
                HELD,
                "heldLocks",
                "held locks (log)",
                "engine bytes per lock",
                false,
                byEngine,
                row -> row.secondary("engineBytesPerLock"));
        draw(
                "held-locks-client-heap",
                "Client heap per held lock",
                HELD,
                "heldLocks",
                "held locks (log)",
                "client heap bytes per lock",
                false,
                byEngine,
                row -> row.secondary("clientHeapBytesPerLock"));
        printTable(
                "Held locks taken per second while setting up",
                "heldLocks",
                collect(HELD, "heldLocks", byEngine, row -> row.secondary("setupLocksPerSecond"), false));
        printTable(
                "Seconds to close the manager with the locks held",
                "heldLocks",
                collect(HELD, "heldLocks", byEngine, row -> row.secondary("closeSeconds"), false));
        // Waiters, one series per handoff and thread kind.
        Function<Row, String> byKind =
                row -> row.param("handoff") + ", " + row.param("threads").toLowerCase(Locale.ROOT);
        draw(
                "waiters-handoff",
                "Handoff down a queue of N waiters on one lock",
                WAITERS,
                "waiters",
                "waiters (log)",
                "us per handoff (log)",
                true,
                byKind,
                row -> row.secondary("handoffMicros"));
        draw(
                "waiters-heap",
                "Heap per parked waiter",
                WAITERS,
                "waiters",
                "waiters (log)",
                "heap bytes per waiter",
                false,
                byKind,
                row -> row.secondary("heapBytesPerWaiter"));
        // Kept-alive leases, one series per engine.
        draw(
                "keepalive-renewals",
                "Renewals the engine receives (30 s leases, renewed every 10 s)",
                KEPT,
                "leases",
                "kept-alive leases (log)",
                "renewals per second (log)",
                true,
                byEngine,
                row -> row.secondary("renewalsPerSecond"));
        drawCpu(byEngine);
    }

    private void drawCpu(Function<Row, String> byEngine) throws IOException {
        XYChart chart = chart(
                "CPU per kept-alive lease (the client, and the Redis server)",
                "kept-alive leases (log)",
                "CPU us per lease per second",
                false);
        Map<String, TreeMap<Double, Double>> points = new TreeMap<>();
        for (CpuFigure figure : CPU_FIGURES) {
            points.putAll(addSeries(
                    chart,
                    KEPT,
                    "leases",
                    row -> byEngine.apply(row) + ", " + figure.whose(),
                    row -> row.secondary(figure.name())));
        }
        save(chart, "keepalive-cpu", "leases", points);
    }

    private void draw(
            String name,
            String title,
            String benchmark,
            String sizeParam,
            String xTitle,
            String yTitle,
            boolean logY,
            Function<Row, String> series,
            Function<Row, @Nullable Double> value)
            throws IOException {
        XYChart chart = chart(title, xTitle, yTitle, logY);
        save(chart, name, sizeParam, addSeries(chart, benchmark, sizeParam, series, value));
    }

    private static XYChart chart(String title, String xTitle, String yTitle, boolean logY) {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(520)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        Styler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setXAxisDecimalPattern("#,###");
        chart.getStyler().setYAxisDecimalPattern(logY ? "#,##0.###" : "#,##0");
        chart.getStyler().setMarkerSize(8);
        return chart;
    }

    /** Adds one series per name, points sorted by size; returns the points, by series. */
    private Map<String, TreeMap<Double, Double>> addSeries(
            XYChart chart,
            String benchmark,
            String sizeParam,
            Function<Row, String> series,
            Function<Row, @Nullable Double> value) {
        Map<String, TreeMap<Double, Double>> points =
                collect(benchmark, sizeParam, series, value, chart.getStyler().isYAxisLogarithmic());
        List<String> variants = points.keySet().stream()
                .map(CostPlots::variant)
                .distinct()
                .sorted()
                .toList();
        points.forEach((name, curve) -> {
            XYSeries added = chart.addSeries(
                    name,
                    curve.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
                    curve.values().stream().mapToDouble(Double::doubleValue).toArray());
            Color color = COLORS.get(name.split(",")[0]);
            if (color != null) {
                added.setLineColor(color);
                added.setMarkerColor(color);
            }
            // The same engine's variants (thread kind, whose CPU) by line style.
            added.setLineStyle(LINES[variants.indexOf(variant(name)) % LINES.length]);
        });
        return points;
    }

    /** What follows the engine or handoff in a series' name, e.g. {@code virtual}; empty if nothing. */
    private static String variant(String series) {
        int comma = series.indexOf(',');
        return comma < 0 ? "" : series.substring(comma + 1).trim();
    }

    /** The points of one figure, by series, sorted by size; log scales cannot show values at or below 0. */
    private Map<String, TreeMap<Double, Double>> collect(
            String benchmark,
            String sizeParam,
            Function<Row, String> series,
            Function<Row, @Nullable Double> value,
            boolean positiveOnly) {
        Map<String, TreeMap<Double, Double>> points = new TreeMap<>();
        for (Row row : rows) {
            Double y = row.benchmark.equals(benchmark) ? value.apply(row) : null;
            if (y != null && !(positiveOnly && y <= 0)) {
                points.computeIfAbsent(series.apply(row), s -> new TreeMap<>())
                        .put(Double.parseDouble(row.param(sizeParam)), y);
            }
        }
        return points;
    }

    /** Writes the chart and prints its table, unless no benchmark gave it a point. */
    private void save(XYChart chart, String name, String sizeParam, Map<String, TreeMap<Double, Double>> points)
            throws IOException {
        if (points.isEmpty()) {
            return;
        }
        printTable(chart.getTitle(), sizeParam, points);
        Path file = out.resolve(name + ".png");
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + file);
    }

    /** The figures of one chart as a Markdown table: a row per size, a column per series. */
    private static void printTable(String title, String sizeParam, Map<String, TreeMap<Double, Double>> points) {
        if (points.isEmpty()) {
            return;
        }
        TreeMap<Double, Map<String, Double>> bySize = new TreeMap<>();
        points.forEach((name, curve) -> curve.forEach(
                (size, y) -> bySize.computeIfAbsent(size, s -> new TreeMap<>()).put(name, y)));
        System.out.printf(
                "%n%s%n%n| %s | %s |%n|---|%s%n",
                title, sizeParam, String.join(" | ", points.keySet()), "---|".repeat(points.size()));
        bySize.forEach((size, values) -> {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "| %,.0f |", size));
            for (String name : points.keySet()) {
                Double y = values.get(name);
                line.append(' ').append(y == null ? "" : format(y)).append(" |");
            }
            System.out.println(line);
        });
    }

    private static String format(double value) {
        return Math.abs(value) >= 100
                ? String.format(Locale.ROOT, "%,.0f", value)
                : String.format(Locale.ROOT, "%,.2f", value);
    }

    /** One result of JMH's JSON: the benchmark, its parameters, the score and the secondary results. */
    private record Row(String benchmark, Map<String, String> params, double score, Map<String, Double> secondaries) {

        @SuppressWarnings("unchecked") // the shapes of JMH's JSON
        static List<Row> readAll(String json) {
            List<Row> rows = new ArrayList<>();
            for (Object item : (List<Object>) Objects.requireNonNull(Json.parse(json))) {
                Map<String, Object> result = (Map<String, Object>) item;
                Map<String, String> params = new TreeMap<>();
                Object given = result.get("params");
                if (given != null) {
                    ((Map<String, Object>) given).forEach((k, v) -> params.put(k, String.valueOf(v)));
                }
                Map<String, Object> primary = (Map<String, Object>) result.get("primaryMetric");
                Map<String, Double> secondaries = new TreeMap<>();
                Object secondary = result.get("secondaryMetrics");
                if (secondary != null) {
                    ((Map<String, Object>) secondary)
                            .forEach((k, v) -> secondaries.put(k, number(((Map<String, Object>) v).get("score"))));
                }
                rows.add(new Row((String) result.get("benchmark"), params, number(primary.get("score")), secondaries));
            }
            return rows;
        }

        private static double number(@Nullable Object value) {
            if (value instanceof Double d) {
                return d;
            }
            return Double.parseDouble(String.valueOf(value)); // JMH writes "NaN" as a string
        }

        String param(String name) {
            return params.getOrDefault(name, "?");
        }

        @Nullable
        Double primary() {
            return score;
        }

        @Nullable
        Double secondary(String name) {
            return secondaries.get(name);
        }
    }
}
