package dev.attend.cli.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole report on small synthetic runs: every file, links that resolve, charts that decode, whole-file writes. */
class ReportWriterTest {
    @TempDir
    Path dir;

    @Test
    void aTinyRunWritesEveryFileAndThePageLinksOnlyToFilesThatExist() throws IOException {
        String md = ReportWriter.write(dir, SyntheticRuns.tiny());
        for (String f : List.of(ReportWriter.RESULTS_JSON, ReportWriter.RESULTS_CSV, ReportWriter.SUMMARY, ReportWriter.INDEX)) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertEquals(md, Files.readString(dir.resolve(ReportWriter.SUMMARY)));
        String html = Files.readString(dir.resolve(ReportWriter.INDEX));
        List<String> refs = references(html);
        assertFalse(refs.isEmpty(), "the page shows charts");
        for (String ref : refs) {
            assertFalse(ref.contains("://") || ref.startsWith("//"), "no network: " + ref);
            assertTrue(Files.isRegularFile(dir.resolve(ref)), "index.html refers to " + ref + ", which is not there");
        }
        List<Path> pngs = pngs();
        assertEquals(Set.copyOf(refs), Set.copyOf(pngs.stream().map(p -> p.getFileName().toString()).toList()), "every chart is shown");
        for (Path png : pngs) {
            assertTrue(Files.size(png) > 1000, png + " is empty");
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " does not decode as an image");
            String tag = "src=\"" + png.getFileName() + "\" alt=";
            String attrs = html.substring(html.indexOf(tag));
            attrs = attrs.substring(0, attrs.indexOf('>'));
            assertTrue(attrs.contains("width=\"" + img.getWidth() + "\" height=\"" + img.getHeight() + "\""), "the page sizes " + png + " as it is: " + attrs);
            assertTrue(img.getWidth() >= ReportCharts.WIDTH && img.getHeight() >= ReportCharts.HEIGHT);
        }
        try (Stream<Path> all = Files.list(dir)) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temporary file is left behind");
        }
    }

    @Test
    void chartsWithoutDataAreOmittedWithANote() throws IOException {
        ReportWriter.write(dir, SyntheticRuns.tiny());
        String html = Files.readString(dir.resolve(ReportWriter.INDEX));
        // The tiny run has no backward pass and one decode case: no decode speed-up chart, but a bandwidth one.
        assertTrue(html.contains("Chart omitted (Error against speed-up over flash)") || Files.exists(dir.resolve("pareto.png")), html);
        assertTrue(Files.exists(dir.resolve("decode-bandwidth.png")));
        assertFalse(Files.exists(dir.resolve("gflops-backward.png")));
        BenchRun onlyErrors = new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(),
                SyntheticRuns.tiny().results().stream().filter(r -> r.status() != dev.attend.cli.bench.BenchResult.Status.OK).toList(), List.of());
        ReportWriter.write(dir, onlyErrors);
        html = Files.readString(dir.resolve(ReportWriter.INDEX));
        for (String title : List.of("Roofline", "Attend and peers: median time", "Error against speed-up", "Decode: GB/s")) {
            assertTrue(html.contains("<p class=\"omitted\">Chart omitted (" + title), title + " should be omitted with a note");
        }
        assertEquals(List.of(), pngs(), "stale charts of the earlier write are removed");
        assertEquals(List.of(), references(html));
    }

    @Test
    void aWriteWithoutChartsPointsAtNoPictureAndSaysWhenTheyCome() throws IOException {
        ReportWriter.write(dir, SyntheticRuns.tiny(), false);
        String html = Files.readString(dir.resolve(ReportWriter.INDEX));
        assertEquals(List.of(), references(html));
        assertEquals(List.of(), pngs());
        assertTrue(html.contains("Charts are drawn when the run ends"), html);
    }

    @Test
    void theSummaryHasTheMachineThePeaksAndEverySection() throws IOException {
        String md = ReportWriter.write(dir, SyntheticRuns.realistic(), false);
        assertTrue(md.startsWith("# Attend benchmark: all\n"), md);
        for (String fact : List.of("AMD EPYC 9R14", "JDK 25.0.3+9-LTS", "2 worker threads", "512-bit vectors", "FMA 211.8 GFLOP/s on 1 thread",
                "423.1 GFLOP/s on 2 threads", "read bandwidth 40.0 GB/s", "medians of 12 samples")) {
            assertTrue(md.contains(fact), "summary lacks " + fact);
        }
        for (String h : List.of("## Results", "### forward (", "### backward (", "### decode (", "## Support matrix", "## Attend and peers", "## Fidelity",
                "## Recommendations", "## Efficiency lengths", "## Warnings")) {
            assertTrue(md.contains("\n" + h), "summary lacks " + h);
        }
        String forward = md.substring(md.indexOf("### forward"), md.indexOf("### backward"));
        assertTrue(forward.contains("| mechanism | mask | pattern | B | Hq | Hkv | Lq | Lk | D | median ms | p20-p80 % | cv | GFLOP/s | % peak | alloc/call | note |"),
                "a forward table has no GB/s columns: " + forward.substring(0, 400));
        assertTrue(forward.contains("| unstable, remeasured |"), "the unstable case is marked");
        assertTrue(md.contains("Peak sample 8: 2 threads reached 180.0 GFLOP/s, below one thread's"), "contradictory peaks are warned of");
        assertFalse(md.contains("hyper:block=256,samples=16 full forward L=65536 reached"), "an approximate mechanism above 100% is no warning");
        // Every Markdown table row has as many cells as its header.
        String[] lines = md.split("\n");
        int cols = -1;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                cols = -1;
                continue;
            }
            int n = line.replace("\\|", "").split("\\|", -1).length;
            if (cols < 0) cols = n;
            assertEquals(cols, n, line);
        }
    }

    @Test
    void theHtmlColoursTheSupportMatrixAndEscapesText() throws IOException {
        ReportWriter.write(dir, SyntheticRuns.tiny(), false);
        String html = Files.readString(dir.resolve(ReportWriter.INDEX));
        assertTrue(html.contains("<table class=\"matrix\">"), html);
        assertTrue(html.contains("class=\"n x\">X</td>") && html.contains("class=\"n e\">E</td>"), "X and E cells are coloured");
        assertFalse(html.contains("<script"), "no script");
        assertTrue(html.contains("<style>") && !html.contains("<link"), "inline CSS only");
    }

    @Test
    void aLegendOfManyLinesGetsATallerChart() {
        List<dev.attend.cli.bench.BenchResult> rs = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(1);
        for (int m = 0; m < 30; m++) {
            for (int l : new int[] {1024, 2048}) {
                rs.add(SyntheticRuns.timed(rnd, "kernels", "m" + m + " L=" + l, "mech" + m, "attend", java.util.Map.of(), true, "causal", "causal",
                        "CAUSAL_SELF", "forward", 1, 2, 2, l, l, 64, 4.0 * l * l / 2 * 2 * 64, 0.3, null, 0L, 0L, 0.02, false));
            }
        }
        BenchRun run = new BenchRun("kernels", "attend bench", SyntheticRuns.machine(false), List.of(), rs, List.of());
        ReportCharts.Drawn gflops = (ReportCharts.Drawn) ReportCharts.build(run).stream().filter(e -> e.title().startsWith("Useful GFLOP/s")).findFirst()
                .orElseThrow();
        assertTrue(gflops.chart().getHeight() >= 31 * 22, "31 legend lines need " + 31 * 22 + " px, the chart has " + gflops.chart().getHeight());
    }

    /** The files the page loads: every src and href that is not an anchor. */
    private static List<String> references(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(html);
        while (m.find()) if (!m.group(1).startsWith("#")) out.add(m.group(1));
        return out;
    }

    private List<Path> pngs() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }
}
