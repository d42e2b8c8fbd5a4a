package dev.attend.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attend.simd.MachinePeak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a benchmark run as it goes: {@code results.json} (the schema of docs/bench-results.md) and
 * {@code summary.md}, each to a temporary sibling moved into place, so an interrupted run leaves valid files.
 */
public final class BenchReport {
    public static final String RESULTS = "results.json";
    public static final String SUMMARY = "summary.md";

    private BenchReport() {}

    /** The JSON document of a run. */
    public static Map<String, Object> document(String suite, String command, Map<String, Object> machine, List<MachinePeak.Result> samples,
                                               List<BenchResult> results, List<String> warnings) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", 1);
        root.put("suite", suite);
        root.put("command", command);
        root.put("machine", machine);
        List<Map<String, Object>> peaks = new ArrayList<>();
        for (MachinePeak.Result s : samples) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fma_gflops_1t", s.fmaGflopsOneThread());
            m.put("fma_gflops", s.fmaGflops());
            m.put("read_gbps", s.readGBps());
            peaks.add(m);
        }
        root.put("peak_samples", peaks);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BenchResult r : results) rows.add(r.toMap());
        root.put("results", rows);
        root.put("warnings", warnings);
        return root;
    }

    /** Writes both files into {@code dir} (created if needed) and returns the Markdown. */
    public static String write(Path dir, Map<String, Object> document, String markdown) throws IOException {
        Files.createDirectories(dir);
        Path json = Files.createTempFile(dir, "." + RESULTS, ".tmp"), sum = Files.createTempFile(dir, "." + SUMMARY, ".tmp");
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), document);
            Files.writeString(sum, markdown);
            Files.move(json, dir.resolve(RESULTS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(sum, dir.resolve(SUMMARY), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(sum);
        }
        return markdown;
    }

    /** The Markdown summary: a machine line and one row per case, with the spread. */
    public static String markdown(String suite, Map<String, Object> machine, List<BenchResult> results, List<String> warnings) {
        StringBuilder b = new StringBuilder();
        b.append("# Attend benchmark: ").append(suite).append("\n\n");
        b.append(String.format("%s, %s; JDK %s; %s threads; %s-bit vectors.%n", machine.get("date"), machine.get("cpu"), machine.get("jdk"),
                machine.get("threads"), machine.get("vector_bits")));
        if (machine.get("fma_gflops") != null) {
            b.append(String.format("Measured in this run: FMA peak %s GFLOP/s (1 thread), %s GFLOP/s (all threads); read %s GB/s.%n",
                    machine.get("fma_gflops_1t"), machine.get("fma_gflops"), machine.get("read_gbps")));
        }
        b.append("\n| mechanism | mask | pattern | pass | B | Hq | Hkv | Lq | Lk | D | median ms | p20-p80 ms | GFLOP/s | % peak | GB/s | % bw | status |\n");
        b.append("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
        for (BenchResult r : results) {
            BenchResult.Timing t = r.timing();
            String mask = r.mask().length() > 40 ? r.maskKind() + " (" + r.mask().length() + " chars)" : r.mask();
            b.append(String.format("| %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.mechanism(), mask.replace("|", "\\|"), r.pattern() == null ? "" : r.pattern().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                    r.pass(), r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim(),
                    t == null ? "" : String.format("%.3f", t.medianMs()), t == null ? "" : String.format("%.3f-%.3f", t.p20Ms(), t.p80Ms()),
                    cell(r.gflops(), "%.1f"), cell(r.pctPeak(), "%.1f"), cell(r.gbps(), "%.1f"), cell(r.pctBw(), "%.1f"),
                    r.status() == BenchResult.Status.OK ? (t != null && t.unstable() ? "unstable" : "ok") : r.status().cell() + ": " + r.reason()));
        }
        if (!warnings.isEmpty()) {
            b.append("\nWarnings:\n\n");
            for (String w : warnings) b.append("- ").append(w).append('\n');
        }
        b.append("\nGFLOP/s count the useful work of the exact mask area (forward 4 x area x B x Hq x D); "
                + "% peak is against the all-threads FMA peak and % bw against the read bandwidth of this run.\n");
        return b.toString();
    }

    private static String cell(Double v, String fmt) {
        return v == null ? "" : String.format(fmt, v);
    }
}
