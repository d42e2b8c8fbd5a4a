package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import dev.attend.cli.bench.report.Workloads.Family;
import dev.attend.cli.bench.report.Workloads.Workload;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, built with XChart from a run's records (drawn to PNG by {@link ReportWriter}):
 * <ul>
 *   <li>{@code gflops-PASS.png}: useful GFLOP/s against length, one line per mechanism and mask, log-2 length axis,
 *       with the measured FMA peak as a line;</li>
 *   <li>{@code speedup-PASS.png}: speed-up over exact flash at the same mask and shape (flash time / time);</li>
 *   <li>{@code decode-bandwidth.png}: decode GB/s of KV cache read against KV length, one line per format;</li>
 *   <li>{@code recurrent-decode.png}: microseconds per token of each recurrent state against its history;</li>
 *   <li>{@code roofline.png}: achieved GFLOP/s against arithmetic intensity (useful FLOPs / bytes), with the
 *       measured FMA peak and read bandwidth as the roof;</li>
 *   <li>{@code peers.png}: median time of Attend and each peer per workload (bars, log scale);</li>
 *   <li>{@code pareto.png}: relative Frobenius error against speed-up over flash, one line per approximate
 *       mechanism over its budget settings, with the 1e-3 and 1e-2 budgets as lines.</li>
 * </ul>
 * A chart without data is an {@link Omitted} entry with a one-line note instead. Cost: a few passes over the
 * records; drawing is the writer's.
 */
final class ReportCharts {
    static final int WIDTH = 1100, HEIGHT = 600;

    private ReportCharts() {}

    /** A chart for the HTML group {@code group} ({@code pass:forward}, {@code results}, {@code peers}, {@code fidelity}). */
    sealed interface Entry permits Drawn, Omitted {
        String group();

        String title();
    }

    /** A chart to draw into {@code file}, with a caption saying how to read it. */
    record Drawn(String group, String file, String title, String caption, Chart<?, ?> chart) implements Entry {}

    /** A chart left out for want of data, and why. */
    record Omitted(String group, String title, String note) implements Entry {}

    static List<Entry> build(BenchRun run) {
        Labels labels = Labels.of(run.results());
        List<Entry> out = new ArrayList<>();
        List<String> passes = ReportSections.passes(run);
        for (String pass : passes) {
            out.add(gflops(run, pass, labels));
            if (!pass.equals("decode")) out.add(speedup(run, pass, labels));
        }
        out.add(decode(run, labels, passes.contains("decode") ? "pass:decode" : "results"));
        out.add(recurrent(run, labels, passes.contains("decode") ? "pass:decode" : "results"));
        out.add(roofline(run, labels));
        out.add(peers(run, labels));
        out.add(pareto(run, labels));
        return out;
    }

    // GFLOP/s and speed-up against length --------------------------------------------------------------------

    private static Entry gflops(BenchRun run, String pass, Labels labels) {
        String title = "Useful GFLOP/s against length, " + pass;
        List<BenchResult> rs = run.results().stream().filter(r -> pass.equals(r.pass()) && Workloads.timed(r) && r.gflops() != null).toList();
        if (rs.isEmpty()) return new Omitted("pass:" + pass, title, "no " + pass + " case has a GFLOP/s figure.");
        title = titled(title, rs);
        boolean log = spansDecades(rs.stream().map(BenchResult::gflops).toList());
        List<Line> series = lines(rs, labels, r -> r.gflops());
        XYChart c = lengthChart(title, pass.equals("decode") ? "KV length (keys, log2 scale)" : "sequence length L (keys, log2 scale)",
                "useful GFLOP/s" + (log ? " (log scale)" : ""), log, series.size() + 1);
        addLines(c, series, labels);
        Double peak = Peaks.of(run).fma();
        if (peak != null) flatLine(c, String.format(Locale.ROOT, "FMA peak, measured (%.0f GFLOP/s)", peak), xRange(series), peak);
        return new Drawn("pass:" + pass, "gflops-" + pass + ".png", title,
                "Useful work (exact attention's FLOPs over the mask area) per second: one colour per mechanism (lighter: a smaller budget "
                        + "setting), one line style per mask kind; the dashed grey line is the all-threads FMA peak this run measured. An "
                        + "approximate mechanism can pass the peak: it does less work than it is credited with.", c);
    }

    private static Entry speedup(BenchRun run, String pass, Labels labels) {
        String title = "Speed-up over exact flash, " + pass;
        Map<Workload, BenchResult> flash = Workloads.flash(run.results());
        String flashSpec = Workloads.flashSpec(run.results());
        List<BenchResult> rs = run.results().stream().filter(r -> pass.equals(r.pass()) && Workloads.timed(r)
                && !r.mechanism().equals(flashSpec) && flash.containsKey(Workload.of(r))).toList();
        if (rs.isEmpty()) return new Omitted("pass:" + pass, title, "no mechanism but flash was timed at a " + pass + " workload flash also ran.");
        title = titled(title, rs);
        java.util.function.Function<BenchResult, Double> up = r -> flash.get(Workload.of(r)).timing().medianMs() / r.timing().medianMs();
        boolean log = spansDecades(rs.stream().map(up).toList());
        List<Line> series = lines(rs, labels, up);
        XYChart c = lengthChart(title, "sequence length L (keys, log2 scale)", "speed-up over flash (flash time / time" + (log ? ", log scale)" : ")"), log,
                series.size() + 1);
        addLines(c, series, labels);
        flatLine(c, "flash (= 1)", xRange(series), 1.0);
        return new Drawn("pass:" + pass, "speedup-" + pass + ".png", title,
                "Above 1: faster than exact flash (" + flashSpec + ") at the same mask and shape; below 1: slower.", c);
    }

    private static Entry decode(BenchRun run, Labels labels, String group) {
        String title = "Decode: GB/s of KV cache read against KV length";
        List<BenchResult> rs = run.results().stream().filter(r -> "decode".equals(r.pass()) && Workloads.timed(r) && r.gbps() != null).toList();
        if (rs.isEmpty()) return new Omitted(group, title, "no decode case has a GB/s figure.");
        title = titled(title, rs);
        List<Line> series = lines(rs, labels, r -> r.gbps());
        XYChart c = lengthChart(title, "KV length (keys, log2 scale)", "GB/s of KV cache read", false, series.size() + 1);
        addLines(c, series, labels);
        Double read = Peaks.of(run).read();
        if (read != null) flatLine(c, String.format(Locale.ROOT, "read bandwidth, measured (%.0f GB/s)", read), xRange(series), read);
        return new Drawn(group, "decode-bandwidth.png", title,
                "Bytes of the KV cache (in its storage format) one decode call reads, per second; one line per format; the flat line is the "
                        + "read bandwidth this run measured.", c);
    }

    /** Decode cases without cache bytes are recurrent states (a cache decode always reads its cache): time per token. */
    private static Entry recurrent(BenchRun run, Labels labels, String group) {
        String title = "Recurrent decoding: time per token against history";
        List<BenchResult> rs = run.results().stream().filter(r -> "decode".equals(r.pass()) && Workloads.timed(r) && r.gbps() == null).toList();
        if (rs.isEmpty()) return new Omitted(group, title, "no recurrent decode case was timed.");
        title = titled(title, rs);
        java.util.function.Function<BenchResult, Double> perToken = r -> r.timing().medianMs() * 1e3 / (r.batch() * r.qHeads());
        boolean log = spansDecades(rs.stream().map(perToken).toList());
        List<Line> series = lines(rs, labels, perToken);
        XYChart c = lengthChart(title, "tokens of history (log2 scale)", "microseconds per token and head" + (log ? " (log scale)" : ""), log,
                series.size());
        addLines(c, series, labels);
        return new Drawn(group, "recurrent-decode.png", title,
                "One decode step of each mechanism's constant-size recurrent state (one head), after the history on the x axis: a flat "
                        + "line is decoding whose cost does not grow with the context. Histories whose setup would take too long are left out."
                        + stateSizes(rs, labels), c);
    }

    /** " State per head: performer 33,024 floats at D=64, ..." from the registry (a spec it no longer knows is left out). */
    private static String stateSizes(List<BenchResult> rs, Labels labels) {
        Map<String, String> sizes = new LinkedHashMap<>();
        for (BenchResult r : rs) {
            if (sizes.containsKey(r.mechanism())) continue;
            try {
                if (dev.attend.attention.Attention.of(r.mechanism()) instanceof dev.attend.attention.RecurrentMechanism m) {
                    long floats = m.newState(r.headDim(), (float) (1 / Math.sqrt(r.headDim())), 1).stateFloats();
                    sizes.put(r.mechanism(), labels.of(r.mechanism()) + " " + String.format(java.util.Locale.ROOT, "%,d", floats) + " floats at D=" + r.headDim());
                }
            } catch (IllegalArgumentException e) {
                // not a registered mechanism here (a results file from another version): no size to give
            }
        }
        return sizes.isEmpty() ? "" : " State per head: " + String.join(", ", sizes.values()) + ".";
    }

    /** One line of a length chart: its legend name, the mechanism spec and mask group it draws, and length to value. */
    record Line(String name, String spec, String mask, TreeMap<Integer, Double> points) {}

    /**
     * One line per mechanism and mask group (and shape, when a chart holds several), as length to value; a line's
     * first record at each length is kept.
     */
    private static List<Line> lines(List<BenchResult> rs, Labels labels, java.util.function.Function<BenchResult, Double> y) {
        Map<String, List<BenchResult>> byMask = Workloads.byMask(rs);
        boolean oneMask = byMask.size() == 1;
        boolean oneFamily = rs.stream().map(Family::of).distinct().count() == 1;
        Map<String, Line> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<BenchResult>> m : byMask.entrySet()) {
            for (BenchResult r : m.getValue()) {
                Double v = y.apply(r);
                if (v == null || !Double.isFinite(v) || v <= 0) continue;
                String name = labels.of(r.mechanism()) + (oneMask ? "" : ", " + m.getKey()) + (oneFamily ? "" : ", " + Family.of(r).shape());
                out.computeIfAbsent(name, k -> new Line(k, r.mechanism(), m.getKey(), new TreeMap<>())).points().putIfAbsent(r.kLen(), v);
            }
        }
        // Legend order: by mechanism (in run order), then by mask, so one colour's lines sit together.
        List<String> specs = Workloads.distinct(rs.stream().map(BenchResult::mechanism).toList());
        List<String> masks = List.copyOf(byMask.keySet());
        // Where some series spans lengths, single points (the support matrix's one-length cells) would only
        // crowd the legend: they are in the tables. A chart of single points alone keeps them.
        boolean anyLine = out.values().stream().anyMatch(l -> l.points().size() >= 2);
        return out.values().stream().filter(l -> !anyLine || l.points().size() >= 2)
                .sorted(java.util.Comparator.comparingInt((Line l) -> specs.indexOf(l.spec()))
                .thenComparingInt(l -> masks.indexOf(l.mask()))).toList();
    }

    /** Tall enough for a legend of {@code entries} lines beside the plot (XChart clips a legend taller than the chart). */
    static int heightFor(int entries) {
        return Math.max(HEIGHT, 120 + 22 * entries);
    }

    /**
     * Whether a log axis suits the values: they spread over orders of magnitude, with at least two whole decades
     * inside their range. XChart labels only whole decades on a log axis, so a narrower range would show one tick
     * label or none; it is drawn linear instead.
     */
    private static boolean spansDecades(List<Double> values) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Double v : values) {
            if (v == null || !(v > 0) || !Double.isFinite(v)) continue;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi > 0 && Math.floor(Math.log10(hi)) - Math.ceil(Math.log10(lo)) >= 1;
    }

    /** A chart title with the shape when every record in it has the same one. */
    private static String titled(String title, List<BenchResult> rs) {
        List<Family> fs = rs.stream().map(Family::of).distinct().toList();
        return fs.size() == 1 ? title + " (" + fs.get(0).shape() + ")" : title;
    }

    /**
     * Adds the lines, coloured by mechanism (shaded by budget setting), with a line style and marker per variant: the
     * mask and shape after the mechanism in the line's name, so that B1 and B8 (or MHA and GQA) of one mechanism differ.
     */
    private static void addLines(XYChart c, List<Line> lines, Labels labels) {
        List<String> variants = Workloads.distinct(lines.stream().map(ReportCharts::variant).toList());
        for (Line l : lines) {
            XYSeries s = addLine(c, l.name(), l.points());
            int m = variants.indexOf(variant(l));
            s.setLineColor(labels.color(l.spec()));
            s.setMarkerColor(labels.color(l.spec()));
            s.setLineStyle(LINES[m % LINES.length]);
            s.setMarker(MARKERS[m % MARKERS.length]);
        }
    }

    /** What a line's name says beyond its mechanism: mask and shape. */
    private static String variant(Line l) {
        int comma = l.name().indexOf(", ");
        return l.mask() + "|" + (comma < 0 ? "" : l.name().substring(comma + 2));
    }

    private static XYChart lengthChart(String title, String xTitle, String yTitle, boolean logY, int legendEntries) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(heightFor(legendEntries)).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setYAxisLogarithmic(logY);
        // A log-2 axis: x is log2(L), and the ticks at whole powers of two are labelled as lengths (1K, 64K).
        c.setCustomXAxisTickLabelsFormatter(v -> Math.abs(v - Math.rint(v)) < 1e-6 ? Fmt.len(Math.pow(2, Math.rint(v))) : "");
        // Decade labels only: XChart's labels between decades crowd against the decade's own (900 against 1,000).
        if (logY) c.getStyler().setYAxisDecimalPattern(PLAIN);
        return c;
    }

    private static XYSeries addLine(XYChart c, String name, TreeMap<Integer, Double> pts) {
        double[] x = new double[pts.size()], y = new double[pts.size()];
        int i = 0;
        for (Map.Entry<Integer, Double> e : pts.entrySet()) {
            x[i] = Math.log(e.getKey()) / Math.log(2);
            y[i++] = e.getValue();
        }
        return c.addSeries(name, x, y);
    }

    /** A horizontal reference line across the lines' length range, drawn as a series so it is in the legend. */
    private static void flatLine(XYChart c, String name, double[] range, double y) {
        XYSeries s = c.addSeries(name, new double[] {range[0], range[1]}, new double[] {y, y});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(SeriesLines.DASH_DASH);
        s.setLineColor(Color.DARK_GRAY);
    }

    private static double[] xRange(List<Line> lines) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Line l : lines) {
            TreeMap<Integer, Double> pts = l.points();
            lo = Math.min(lo, Math.log(pts.firstKey()) / Math.log(2));
            hi = Math.max(hi, Math.log(pts.lastKey()) / Math.log(2));
        }
        return lo == hi ? new double[] {lo - 0.5, hi + 0.5} : new double[] {lo, hi};
    }

    // Roofline -----------------------------------------------------------------------------------------------

    private static Entry roofline(BenchRun run, Labels labels) {
        String title = "Roofline: achieved GFLOP/s against arithmetic intensity";
        List<BenchResult> rs = run.results().stream().filter(r -> Workloads.timed(r) && r.gflops() != null && r.gflops() > 0
                && r.usefulFlops() != null && r.usefulFlops() > 0).toList();
        if (rs.isEmpty()) return new Omitted("results", title, "no timed case has useful FLOPs.");
        long entries = rs.stream().map(r -> r.mechanism() + " " + r.pass()).distinct().count() + 2;
        XYChart c = new XYChartBuilder().width(WIDTH).height(heightFor((int) entries)).title(title)
                .xAxisTitle("arithmetic intensity (useful FLOP per byte read, log scale)").yAxisTitle("achieved GFLOP/s (log scale)").build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        Map<String, BenchResult> first = new HashMap<>();
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        int skipped = 0;
        for (BenchResult r : rs) {
            if (r.workFlops() != null && r.workFlops() < 0.9 * r.usefulFlops()) {
                skipped++;
                continue;
            }
            double ai = r.usefulFlops() / Workloads.bytesOrQkvo(r);
            String name = labels.of(r.mechanism()) + " (" + r.pass() + ")";
            points.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {ai, r.gflops()});
            first.putIfAbsent(name, r);
            lo = Math.min(lo, ai);
            hi = Math.max(hi, ai);
        }
        if (points.isEmpty()) return new Omitted("results", title, "every timed case did less work than exact attention (no roofline point).");
        for (Map.Entry<String, List<double[]>> e : points.entrySet()) {
            List<double[]> pts = e.getValue();
            XYSeries s = c.addSeries(e.getKey(), pts.stream().mapToDouble(q -> q[0]).toArray(), pts.stream().mapToDouble(q -> q[1]).toArray());
            BenchResult r = first.get(e.getKey());
            int pass = Math.max(0, Workloads.PASSES.indexOf(r.pass()));
            s.setMarkerColor(labels.color(r.mechanism()));
            s.setMarker(MARKERS[pass % MARKERS.length]);
        }
        c.getStyler().setXAxisDecimalPattern(PLAIN).setYAxisDecimalPattern(PLAIN);
        Peaks p = Peaks.of(run);
        if (p.fma() != null && p.read() != null) {
            double ridge = p.fma() / p.read();
            lo = Math.min(lo, ridge) / 2;
            hi = Math.max(hi, ridge) * 2;
            XYSeries bw = c.addSeries(String.format(Locale.ROOT, "read bandwidth, measured (%.0f GB/s)", p.read()),
                    new double[] {lo, ridge}, new double[] {p.read() * lo, p.fma()});
            XYSeries peak = c.addSeries(String.format(Locale.ROOT, "FMA peak, measured (%.0f GFLOP/s)", p.fma()),
                    new double[] {ridge, hi}, new double[] {p.fma(), p.fma()});
            for (XYSeries s : List.of(bw, peak)) {
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(Color.DARK_GRAY);
            }
            peak.setLineStyle(SeriesLines.SOLID);
            bw.setLineStyle(SeriesLines.DASH_DASH);
        }
        return new Drawn("results", "roofline.png", title,
                "Every timed case as a point: useful FLOPs per byte it must read (decode: the KV cache; others: q, k, v and the output "
                        + "once in fp32 when the case has no byte count) against its GFLOP/s. The roof is min(FMA peak, bandwidth x intensity), "
                        + "both measured in this run. Colour: mechanism; marker: pass (circle forward, diamond backward, square decode)."
                        + (skipped == 0 ? "" : " Left out: " + skipped + " cases of mechanisms that did less work than exact attention (they "
                        + "would sit above the roof)."), c);
    }

    // Peers --------------------------------------------------------------------------------------------------

    private static Entry peers(BenchRun run, Labels labels) {
        String title = "Attend and peers: median time per workload";
        Map<Workload, BenchResult> attend = ReportSections.bestAttend(run.results());
        List<BenchResult> peers = ReportSections.peerRecords(run.results(), attend).stream().filter(Workloads::timed).toList();
        if (peers.isEmpty()) return new Omitted("peers", title, "no peer was timed at a workload Attend timed.");
        List<Workload> workloads = new ArrayList<>(Workloads.distinct(peers.stream().map(Workload::of).toList()));
        List<String> maskOrder = Workloads.distinct(workloads.stream().map(w -> kindOf(w.mask())).toList());
        workloads.sort(java.util.Comparator.comparingInt((Workload w) -> Math.max(0, Workloads.PASSES.indexOf(w.pass())))
                .thenComparingInt(w -> maskOrder.indexOf(kindOf(w.mask()))).thenComparingInt(Workload::kLen).thenComparingInt(Workload::qHeads));
        List<String> categories = categoryLabels(workloads);
        List<String> names = Workloads.distinct(peers.stream().map(BenchResult::mechanism).toList());
        CategoryChart c = new CategoryChartBuilder().width(Math.max(WIDTH, 320 + 70 * categories.size())).height(HEIGHT).title(title).xAxisTitle("workload")
                .yAxisTitle("median time per call, ms (log scale)").build();
        style(c.getStyler());
        c.getStyler().setXAxisLabelRotation(categories.size() > 12 ? 60 : 30);
        c.getStyler().setAvailableSpaceFill(0.8);
        List<Double> a = new ArrayList<>();
        for (Workload w : workloads) a.add(attend.get(w).timing().medianMs());
        String flashSpec = Workloads.flashSpec(run.results());
        c.addSeries("Attend (fastest exact)", categories, a).setFillColor(flashSpec == null ? HUES[0] : labels.hue(flashSpec));
        double smallest = a.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        for (String n : names) {
            List<Double> ys = new ArrayList<>();
            for (Workload w : workloads) {
                ys.add(peers.stream().filter(p -> p.mechanism().equals(n) && Workload.of(p).equals(w)).findFirst()
                        .map(p -> p.timing().medianMs()).orElse(null));
            }
            String source = peers.stream().filter(p -> p.mechanism().equals(n)).findFirst().orElseThrow().source();
            c.addSeries(source.equals("baseline") ? n + " (baseline)" : n, categories, ys).setFillColor(labels.hue(n));
            smallest = Math.min(smallest, ys.stream().filter(v -> v != null).mapToDouble(Double::doubleValue).min().orElse(smallest));
        }
        List<Double> all = new ArrayList<>();
        c.getSeriesMap().values().forEach(ser -> ser.getYData().forEach(v -> all.add(v == null ? null : v.doubleValue())));
        if (spansDecades(all)) {
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setYAxisDecimalPattern(PLAIN);
            // Bars start from the axis minimum: on a log axis it must be a positive decade, far enough below the
            // shortest bar that the bar shows.
            c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest / 3))));
        } else {
            c.setYAxisTitle("median time per call, ms");
        }
        return new Drawn("peers", "peers.png", title,
                "Lower is faster. Attend is its fastest exact mechanism at each workload; a missing bar was not timed (see the table).", c);
    }

    /** Short, distinct labels: {@code fwd causal 4K}, with the heads and D added where two workloads would collide. */
    private static List<String> categoryLabels(List<Workload> ws) {
        List<String> shortLabels = new ArrayList<>();
        for (Workload w : ws) {
            String pass = switch (w.pass()) {
                case "forward" -> "fwd";
                case "backward" -> "bwd";
                case "decode" -> "dec";
                default -> w.pass();
            };
            String kind = kindOf(w.mask());
            shortLabels.add(pass + " " + kind + " " + Fmt.len(w.kLen()));
        }
        Map<String, Integer> count = new HashMap<>();
        shortLabels.forEach(s -> count.merge(s, 1, Integer::sum));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ws.size(); i++) {
            String s = shortLabels.get(i);
            out.add(count.get(s) > 1 ? s + " Hq" + ws.get(i).qHeads() + "/" + ws.get(i).kvHeads() + " D" + ws.get(i).headDim() : s);
        }
        return Workloads.distinct(out).size() == out.size() ? out : ws.stream().map(Workload::label).toList();
    }

    private static String kindOf(String mask) {
        return mask == null ? "" : mask.contains(":") ? mask.substring(0, mask.indexOf(':')) : mask;
    }

    // Pareto -------------------------------------------------------------------------------------------------

    private static Entry pareto(BenchRun run, Labels labels) {
        String title = "Error against speed-up over flash";
        Map<String, Double> errors = Recommendations.worstErrors(run.results());
        Map<Workload, BenchResult> flash = Workloads.flash(run.results());
        String flashSpec = Workloads.flashSpec(run.results());
        Map<String, String> budgets = Workloads.budgetParams(run.results());
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        Map<String, List<String>> pointLabels = new HashMap<>();
        Map<String, String> specOf = new HashMap<>();
        List<String> untimed = new ArrayList<>();
        boolean clamped = false;
        for (Map.Entry<String, Double> e : errors.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            String spec = e.getKey();
            if (!Double.isFinite(e.getValue())) continue;
            BenchResult timed = null;
            for (BenchResult r : run.results()) {
                if (Workloads.timed(r) && r.mechanism().equals(spec) && flash.containsKey(Workload.of(r)) && !"decode".equals(r.pass())
                        && (timed == null || r.kLen() > timed.kLen())) timed = r;
            }
            if (timed == null && !spec.equals(flashSpec)) {
                untimed.add(spec);
                continue;
            }
            double speedup = timed == null ? 1 : flash.get(Workload.of(timed)).timing().medianMs() / timed.timing().medianMs();
            double err = Math.max(e.getValue(), 1e-9);
            clamped |= e.getValue() < 1e-9;
            String s = labels.of(Workloads.series(spec, budgets));
            specOf.putIfAbsent(s, spec);
            series.computeIfAbsent(s, k -> new ArrayList<>()).add(new double[] {speedup, err, timed == null ? 0 : timed.kLen()});
            String param = budgets.get(Workloads.name(spec));
            BenchResult any = run.results().stream().filter(r -> r.mechanism().equals(spec) && r.fidelity() != null).findFirst().orElseThrow();
            pointLabels.computeIfAbsent(s, k -> new ArrayList<>()).add(param == null || any.fidelity().budgetValue() == null ? ""
                    : param + "=" + Fmt.plain(any.fidelity().budgetValue()));
        }
        if (series.isEmpty()) {
            return new Omitted("fidelity", title, untimed.isEmpty() ? "no fidelity record in this run."
                    : "no mechanism with a fidelity record was timed at a workload flash ran (" + String.join(", ", untimed) + ").");
        }
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("speed-up over exact flash (flash time / time, log scale)")
                .yAxisTitle("relative Frobenius error, worst input family (log scale)").build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        c.getStyler().setXAxisDecimalPattern(PLAIN).setYAxisDecimalPattern("0E0");
        double xlo = Double.POSITIVE_INFINITY, xhi = 0, ylo = 1e-3, yhi = 1e-2;
        for (List<double[]> pts : series.values()) {
            for (double[] pt : pts) {
                xlo = Math.min(xlo, pt[0]);
                xhi = Math.max(xhi, pt[0]);
                ylo = Math.min(ylo, pt[1]);
                yhi = Math.max(yhi, pt[1]);
            }
        }
        xlo /= 1.5;
        xhi *= 1.5;
        // Each setting's label goes where it covers no other label, point or budget line, or is left off.
        LabelPlacer placer = new LabelPlacer(xlo, xhi, ylo, yhi);
        series.values().forEach(pts -> pts.forEach(pt -> placer.obstacle(pt[0], pt[1], 10, 10)));
        for (double b : new double[] {1e-3, 1e-2}) placer.obstacle(Math.sqrt(xlo * xhi), b, 2 * LabelPlacer.PLOT_WIDTH, 4);
        for (Map.Entry<String, List<double[]>> s : series.entrySet()) {
            List<double[]> pts = s.getValue();
            List<String> names = pointLabels.get(s.getKey());
            Integer[] order = new Integer[pts.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            java.util.Arrays.sort(order, (i, j) -> Double.compare(pts.get(i)[0], pts.get(j)[0]));
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < order.length; i++) {
                x[i] = pts.get(order[i])[0];
                y[i] = pts.get(order[i])[1];
                String text = names.get(order[i]);
                double[] at = text.isEmpty() ? null : placer.place(text, x[i], y[i]);
                if (at != null) c.addAnnotation(new AnnotationText(text, at[0], at[1], false));
            }
            XYSeries line = c.addSeries(s.getKey(), x, y);
            Color color = labels.hue(specOf.get(s.getKey()));
            line.setLineColor(color);
            line.setMarkerColor(color);
        }
        // Speed-ups rarely span more than a decade or two: then label the ticks between decades too (over a wider
        // range those labels would crowd).
        c.getStyler().setXAxisLogarithmicDecadeOnly(Math.log10(xhi / xlo) > 2);
        for (double b : new double[] {1e-3, 1e-2}) {
            XYSeries s = c.addSeries("budget " + (b == 1e-3 ? "1e-3" : "1e-2"), new double[] {xlo, xhi}, new double[] {b, b});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(SeriesLines.DASH_DASH);
            s.setLineColor(b == 1e-3 ? new Color(0, 120, 60) : new Color(190, 120, 0));
        }
        String caption = "Each point is one setting of a mechanism's budget (labelled): its worst relative Frobenius error over the input "
                + "families against its speed-up over exact flash at the longest length both were timed with the same mask and shape. "
                + "Down and to the right is better; the dashed lines are the 1e-3 and 1e-2 budgets of the recommendations.";
        if (clamped) caption += " Errors below 1e-9 are drawn at 1e-9.";
        if (placer.dropped > 0) {
            caption += " " + placer.dropped + (placer.dropped == 1 ? " label that would cover another was" : " labels that would cover others were")
                    + " left off; the fidelity table gives every setting.";
        }
        if (!untimed.isEmpty()) caption += " Not drawn, for want of a timing at a workload flash also ran: " + String.join(", ", untimed) + ".";
        return new Drawn("fidelity", "pareto.png", title, caption, c);
    }

    /**
     * Places point labels on a log-log chart of {@link #WIDTH} x {@link #HEIGHT} so that none covers another, a
     * point or an obstacle: each is tried above, below, right and left of its point, in pixels of the plot area
     * (estimated: the axes and the legend take the rest), and left off when every place is taken.
     */
    static final class LabelPlacer {
        static final double PLOT_WIDTH = WIDTH - 240, PLOT_HEIGHT = HEIGHT - 100, CHAR_WIDTH = 7, LINE_HEIGHT = 15;
        private final double x0, xSpan, y0, ySpan;
        private final List<double[]> taken = new ArrayList<>();  // {left, bottom, right, top} in pixels, y up
        int dropped;

        LabelPlacer(double xlo, double xhi, double ylo, double yhi) {
            x0 = Math.log10(xlo);
            xSpan = Math.max(1e-9, Math.log10(xhi) - x0);
            y0 = Math.log10(ylo);
            ySpan = Math.max(1e-9, Math.log10(yhi) - y0);
        }

        /** A box of {@code w x h} pixels centred on the data point (x, y) that no label may cover. */
        void obstacle(double x, double y, double w, double h) {
            double px = px(x), py = py(y);
            taken.add(new double[] {px - w / 2, py - h / 2, px + w / 2, py + h / 2});
        }

        /** Where to draw {@code text} (the data coordinates of its centre) for the point (x, y), or null to leave it off. */
        double[] place(String text, double x, double y) {
            double w = CHAR_WIDTH * text.length() + 4, h = LINE_HEIGHT, px = px(x), py = py(y);
            double[][] offsets = {{0, h / 2 + 8}, {0, -(h / 2 + 8)}, {w / 2 + 8, 0}, {-(w / 2 + 8), 0}};
            for (double[] o : offsets) {
                double[] box = {px + o[0] - w / 2, py + o[1] - h / 2, px + o[0] + w / 2, py + o[1] + h / 2};
                if (box[0] < 0 || box[2] > PLOT_WIDTH || box[1] < 0 || box[3] > PLOT_HEIGHT) continue;
                if (taken.stream().anyMatch(t -> t[0] < box[2] && box[0] < t[2] && t[1] < box[3] && box[1] < t[3])) continue;
                taken.add(box);
                return new double[] {Math.pow(10, x0 + (px + o[0]) / PLOT_WIDTH * xSpan), Math.pow(10, y0 + (py + o[1]) / PLOT_HEIGHT * ySpan)};
            }
            dropped++;
            return null;
        }

        private double px(double x) {
            return (Math.log10(x) - x0) / xSpan * PLOT_WIDTH;
        }

        private double py(double y) {
            return (Math.log10(y) - y0) / ySpan * PLOT_HEIGHT;
        }
    }

    // Style --------------------------------------------------------------------------------------------------

    private static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(Color.GRAY);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setMarkerSize(8);
        s.setAnnotationTextFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setAntiAlias(true);
        s.setChartPadding(12);
    }

    private static final BasicStroke[] LINES = {SeriesLines.SOLID, SeriesLines.DASH_DASH, SeriesLines.DOT_DOT, SeriesLines.DASH_DOT};
    private static final org.knowm.xchart.style.markers.Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE,
            SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS};
    /**
     * Distinct on white (the Tableau 10 hues, darkened where pale, then ten darker ones of d3's category20b), so that
     * a chart of up to 20 mechanisms repeats no colour; budget settings are lighter shades of their mechanism's hue.
     */
    private static final Color[] HUES = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0x7f7f7f), new Color(0xbcbd22),
            new Color(0x393b79), new Color(0x637939), new Color(0x8c6d31), new Color(0x843c39), new Color(0x7b4173),
            new Color(0x5254a3), new Color(0x8ca252), new Color(0xbd9e39), new Color(0xad494a), new Color(0xa55194)};

    /**
     * Tick labels of log axes as people write them ({@code 0.1}, {@code 10}, {@code 1,000}). A pattern, not a
     * formatting function: XChart lays out a log axis only without one.
     */
    private static final String PLAIN = "#,##0.###";

    /**
     * Chart labels and colours for mechanism specs, the same in every chart of a report: the bare name where the
     * run has one spec of that name, else the spec; one hue per mechanism series (spec without its budget) in
     * order of first appearance, lighter for smaller budget settings.
     */
    record Labels(java.util.function.UnaryOperator<String> names, Map<String, Color> colors, Map<String, Color> hues) {
        static Labels of(List<BenchResult> rs) {
            List<String> specs = Workloads.distinct(rs.stream().map(BenchResult::mechanism).filter(s -> s != null).toList());
            Map<String, String> budgets = Workloads.budgetParams(rs);
            Map<String, Double> budgetOf = new HashMap<>();
            for (BenchResult r : rs) {
                if (r.fidelity() != null && r.fidelity().budgetValue() != null) budgetOf.putIfAbsent(r.mechanism(), r.fidelity().budgetValue());
            }
            List<String> series = Workloads.distinct(specs.stream().map(sp -> Workloads.series(sp, budgets)).toList());
            Map<String, Color> colors = new HashMap<>(), hues = new HashMap<>();
            for (String sp : specs) {
                String key = Workloads.series(sp, budgets);
                Color hue = HUES[series.indexOf(key) % HUES.length];
                List<Double> settings = specs.stream().filter(x -> Workloads.series(x, budgets).equals(key) && budgetOf.containsKey(x))
                        .map(budgetOf::get).sorted().distinct().toList();
                double lighten = 0;
                if (settings.size() > 1 && budgetOf.containsKey(sp)) {
                    // The largest setting (nearest exact) gets the full hue, the smallest is mixed halfway to white.
                    lighten = 0.55 * (settings.size() - 1 - settings.indexOf(budgetOf.get(sp))) / (settings.size() - 1);
                }
                colors.put(sp, mix(hue, lighten));
                hues.put(sp, hue);
            }
            return new Labels(Workloads.shortNames(rs), colors, hues);
        }

        String of(String spec) {
            return names.apply(spec);
        }

        Color color(String spec) {
            return colors.getOrDefault(spec, HUES[Math.floorMod(spec.hashCode(), HUES.length)]);
        }

        /** The mechanism's hue, unshaded: the colour of a line over all its budget settings. */
        Color hue(String spec) {
            return hues.getOrDefault(spec, color(spec));
        }

        private static Color mix(Color c, double white) {
            return new Color((int) Math.round(c.getRed() + (255 - c.getRed()) * white), (int) Math.round(c.getGreen() + (255 - c.getGreen()) * white),
                    (int) Math.round(c.getBlue() + (255 - c.getBlue()) * white));
        }
    }
}
