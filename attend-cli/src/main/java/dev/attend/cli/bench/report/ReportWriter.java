package dev.attend.cli.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attend.cli.bench.BenchResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;

/**
 * Writes a run's report into a directory: {@code results.json} (schema {@value #SCHEMA} of
 * {@code docs/bench-results.md}), {@code results.csv}, {@code summary.md}, {@code index.html} and, when asked, the
 * PNG charts of {@link ReportCharts}.
 *
 * <p>Every file is written to a hidden temporary sibling and moved into place with an atomic rename, so a reader
 * (or an interrupted run) sees the previous whole file or the new whole file, never a part. The harness calls
 * {@link #write(Path, BenchRun, boolean)} after every case with {@code charts = false} (JSON, CSV, Markdown and HTML
 * of a few hundred records take milliseconds) and once at the end with {@code charts = true}, which draws the
 * charts first (about 0.1-0.3 s each) and then the page that shows them. A page written without charts says they
 * come at the end, and points at no PNG.
 */
public final class ReportWriter {
    /** The {@code results.json} schema version this writer writes and {@link ReportReader} reads. */
    public static final int SCHEMA = 1;

    public static final String RESULTS_JSON = "results.json";
    public static final String RESULTS_CSV = "results.csv";
    public static final String SUMMARY = "summary.md";
    public static final String INDEX = "index.html";

    private static final SecureRandom RANDOM = new SecureRandom();

    private ReportWriter() {}

    /** The whole report, charts included; returns the Markdown of {@code summary.md}. */
    public static String write(Path dir, BenchRun run) throws IOException {
        return write(dir, run, true);
    }

    /**
     * Writes the report into {@code dir} (created if missing); with {@code charts} the PNGs are drawn too and stale
     * charts of an earlier write that this run no longer has are removed. Returns the Markdown of {@code summary.md}.
     */
    public static String write(Path dir, BenchRun run, boolean charts) throws IOException {
        Files.createDirectories(dir);
        List<ReportDoc.Block> blocks = ReportSections.build(run);
        List<ReportCharts.Entry> entries = List.of();
        if (charts) {
            entries = ReportCharts.build(run);
            drawCharts(dir, entries);
        }
        String md = SummaryMarkdown.render(blocks);
        atomic(dir, RESULTS_JSON, json(run).getBytes(StandardCharsets.UTF_8));
        atomic(dir, RESULTS_CSV, ResultsCsv.render(run.results()).getBytes(StandardCharsets.UTF_8));
        atomic(dir, SUMMARY, md.getBytes(StandardCharsets.UTF_8));
        atomic(dir, INDEX, HtmlReport.render(blocks, entries, charts).getBytes(StandardCharsets.UTF_8));
        return md;
    }

    /**
     * Only {@code results.json} and {@code results.csv}: what a run rewrites after every case (cheap, and all that
     * {@code --resume} needs), between the fuller partial reports of {@link #write(Path, BenchRun, boolean)}.
     */
    public static void writeResults(Path dir, BenchRun run) throws IOException {
        Files.createDirectories(dir);
        atomic(dir, RESULTS_JSON, json(run).getBytes(StandardCharsets.UTF_8));
        atomic(dir, RESULTS_CSV, ResultsCsv.render(run.results()).getBytes(StandardCharsets.UTF_8));
    }

    /** The top-level object of {@code results.json}, in the documented key order. */
    public static Map<String, Object> toJson(BenchRun run) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("suite", run.suite());
        root.put("command", run.command());
        root.put("machine", run.machine());
        root.put("peak_samples", run.peakSamples());
        List<Map<String, Object>> records = new ArrayList<>();
        for (BenchResult r : run.results()) records.add(r.toMap());
        root.put("results", records);
        root.put("warnings", run.warnings());
        return root;
    }

    static String json(BenchRun run) throws IOException {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(run)) + "\n";
    }

    private static void drawCharts(Path dir, List<ReportCharts.Entry> entries) throws IOException {
        // The charts are drawn off-screen: never ask for a display, even where DISPLAY is set but unreachable.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        Set<String> written = new HashSet<>();
        for (ReportCharts.Entry e : entries) {
            if (e instanceof ReportCharts.Drawn d) {
                atomic(dir, d.file(), BitmapEncoder.getBitmapBytes(d.chart(), BitmapEncoder.BitmapFormat.PNG));
                written.add(d.file());
            }
        }
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "{gflops-*,speedup-*,decode-bandwidth,roofline,peers,pareto}.png")) {
            for (Path p : old) if (!written.contains(p.getFileName().toString())) Files.deleteIfExists(p);
        }
    }

    /** Writes {@code bytes} to {@code dir/name} through a temporary sibling and an atomic rename. */
    static void atomic(Path dir, String name, byte[] bytes) throws IOException {
        // Not createTempFile: its owner-only permissions would stick to the report; a fresh name with the umask's do not.
        Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
        try {
            Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
