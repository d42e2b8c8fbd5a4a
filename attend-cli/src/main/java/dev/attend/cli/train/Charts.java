package dev.attend.cli.train;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The training charts, drawn with XChart to PNG:
 * <ul>
 *   <li>{@link #depthLengthHeatMap}: needle-in-a-haystack accuracy by needle depth (rows, 0% at the top as RULER
 *       and the NIAH papers draw it) and sequence length (columns), each cell coloured from red (0%) to green
 *       (100%) and labelled with its percentage; cells not measured (NaN) stay blank;</li>
 *   <li>{@link #lossAgainstStep}, {@link #lossAgainstTime}, {@link #accuracyAgainstTime}: one line per run (e.g.
 *       Attend and PyTorch on the same batches), loss on a log axis when it spans two decades or more;</li>
 *   <li>{@link #accuracyByTag}: test accuracy against an answer's tag (a needle's depth, a key's distance).</li>
 * </ul>
 * Each file is written whole or not at all (a temporary file moved into place). Cost: drawing one chart, tens of
 * milliseconds.
 */
public final class Charts {
    static final int WIDTH = 1000, HEIGHT = 640;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18), AXIS = new Font(Font.SANS_SERIF, Font.PLAIN, 15),
            TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    /** Dark, distinct line colours (blue, orange, green, purple, grey), readable on white. */
    private static final Color[] PALETTE = {new Color(0x1F, 0x4E, 0xB4), new Color(0xD9, 0x5F, 0x02), new Color(0x1B, 0x9E, 0x77),
            new Color(0x75, 0x70, 0xB3), new Color(0x55, 0x55, 0x55)};

    private Charts() {}

    /** One run's line: {@code x[i]} against {@code y[i]}; NaN or infinite points are left out. */
    public record Curve(String name, double[] x, double[] y) {
        public Curve {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("name: expected a legend name, got " + name);
            if (x == null || y == null || x.length != y.length) {
                throw new IllegalArgumentException("x, y: expected arrays of one length, got " + (x == null ? "null" : x.length)
                        + " and " + (y == null ? "null" : y.length));
            }
            x = x.clone();
            y = y.clone();
        }
    }

    /**
     * Writes the heat map of {@code accuracy[d][l]} (in [0, 1], NaN for a cell not measured) for needles at
     * {@code depths[d]} percent in sequences of {@code lengths[l]} tokens.
     */
    public static void depthLengthHeatMap(Path png, String title, int[] depths, int[] lengths, double[][] accuracy) throws IOException {
        if (depths.length == 0 || lengths.length == 0 || accuracy.length != depths.length) {
            throw new IllegalArgumentException("accuracy: expected " + depths.length + " rows of " + lengths.length + " values");
        }
        HeatMapChart c = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("sequence length (tokens)").yAxisTitle("needle depth (% of the context)").build();
        List<String> x = new ArrayList<>(), y = new ArrayList<>();
        for (int l : lengths) x.add(Integer.toString(l));
        for (int d : depths) y.add(d + "%");
        List<Number[]> cells = new ArrayList<>();
        for (int d = 0; d < depths.length; d++) {
            if (accuracy[d].length != lengths.length) {
                throw new IllegalArgumentException("accuracy[" + d + "]: expected " + lengths.length + " values, got " + accuracy[d].length);
            }
            // XChart draws row 0 at the bottom: the top row is the shallowest depth
            for (int l = 0; l < lengths.length; l++) {
                if (!Double.isNaN(accuracy[d][l])) cells.add(new Number[] {l, depths.length - 1 - d, 100 * accuracy[d][l]});
            }
        }
        c.addSeries("accuracy (%)", x, y.reversed(), cells);
        c.getStyler().setMin(0).setMax(100).setShowValue(true).setHeatMapValueDecimalPattern("0")
                .setValueFont(new Font(Font.SANS_SERIF, Font.BOLD, depths.length > 20 ? 10 : 14)).setValueFontColor(Color.BLACK)
                .setRangeColors(new Color[] {new Color(0xD7, 0x30, 0x27), new Color(0xFE, 0xE0, 0x8B), new Color(0x1A, 0x98, 0x50)})
                .setDrawBorder(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        style(c.getStyler());
        write(png, c);
    }

    /** Training loss against optimiser step. */
    public static void lossAgainstStep(Path png, String title, List<Curve> curves) throws IOException {
        write(png, xy(title, "step", "training loss (cross-entropy on answers, nats)", curves, true));
    }

    /** Training loss against wall-clock time. */
    public static void lossAgainstTime(Path png, String title, List<Curve> curves) throws IOException {
        write(png, xy(title, "wall time (s)", "training loss (cross-entropy on answers, nats)", curves, true));
    }

    /** Test accuracy (in [0, 1], drawn as %) against wall-clock time. */
    public static void accuracyAgainstTime(Path png, String title, List<Curve> curves) throws IOException {
        List<Curve> percent = new ArrayList<>();
        for (Curve k : curves) {
            double[] y = k.y().clone();
            for (int i = 0; i < y.length; i++) y[i] *= 100;
            percent.add(new Curve(k.name(), k.x(), y));
        }
        XYChart c = xy(title, "wall time (s)", "test accuracy on answers (%)", percent, false);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE); // rising curves leave the lower right free
        write(png, c);
    }

    /** Test accuracy (in [0, 1], drawn as %) against an answer's tag, e.g. the needle depth in percent. */
    public static void accuracyByTag(Path png, String title, String tagTitle, double[] tags, double[] accuracy) throws IOException {
        double[] percent = accuracy.clone();
        for (int i = 0; i < percent.length; i++) percent[i] *= 100;
        XYChart c = xy(title, tagTitle, "test accuracy on answers (%)", List.of(new Curve("accuracy", tags, percent)), false);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setLegendVisible(false);
        write(png, c);
    }

    private static XYChart xy(String title, String xTitle, String yTitle, List<Curve> curves, boolean logWhenWide) {
        if (curves.isEmpty()) throw new IllegalArgumentException("curves: expected at least one, got none");
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Curve k : curves) {
            for (double v : k.y()) {
                if (v > 0 && Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        boolean log = logWhenWide && hi / lo >= 100;
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle + (log ? ", log scale" : "")).build();
        style(c.getStyler());
        c.getStyler().setYAxisLogarithmic(log);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setMarkerSize(4);
        c.getStyler().setXAxisTickMarkSpacingHint(90);
        for (Curve k : curves) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (int i = 0; i < k.x().length; i++) {
                if (Double.isFinite(k.x()[i]) && Double.isFinite(k.y()[i]) && (!log || k.y()[i] > 0)) {
                    x.add(k.x()[i]);
                    y.add(k.y()[i]);
                }
            }
            if (x.isEmpty()) continue;
            XYSeries s = c.addSeries(k.name(), x, y);
            s.setMarker(x.size() > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            s.setLineColor(PALETTE[(c.getSeriesMap().size() - 1) % PALETTE.length]);
            s.setMarkerColor(s.getLineColor());
            s.setLineWidth(2.5f);
        }
        return c;
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setChartTitleFont(TITLE);
        s.setAxisTitleFont(AXIS);
        s.setAxisTickLabelsFont(TICKS);
        s.setLegendFont(TICKS);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLocale(Locale.ROOT);
    }

    private static void write(Path png, Chart<?, ?> chart) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        Files.write(tmp, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
