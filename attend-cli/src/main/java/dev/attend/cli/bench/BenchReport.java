package dev.attend.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.attend.attention.Workload;
import dev.attend.cli.MachineInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a benchmark run: {@code results.json} (the machine block and one record per case, with null
 * where a rate does not apply) and {@code summary.md} (the same as a Markdown table).
 */
public final class BenchReport {
    public static final String RESULTS = "results.json";
    public static final String SUMMARY = "summary.md";

    private BenchReport() {}

    /** Writes both files into {@code dir} (created if needed) and returns the Markdown. */
    public static String write(Path dir, String suite, MachineInfo machine, String date, List<BenchRunner.Measurement> results)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("suite", suite);
        Map<String, Object> m = new LinkedHashMap<>(machine.toMap());
        m.put("date", date);
        root.put("machine", m);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BenchRunner.Measurement r : results) rows.add(record(r));
        root.put("results", rows);
        String md = markdown(suite, machine, date, results);
        // Both files whole or neither: each is written beside its target and moved into place.
        Path json = Files.createTempFile(dir, "." + RESULTS, ".tmp"), sum = Files.createTempFile(dir, "." + SUMMARY, ".tmp");
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
            Files.writeString(sum, md);
            Files.move(json, dir.resolve(RESULTS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(sum, dir.resolve(SUMMARY), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(sum);
        }
        return md;
    }

    static Map<String, Object> record(BenchRunner.Measurement r) {
        BenchCase c = r.benchCase();
        Workload.Shape d = c.dims();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("mechanism", c.mechanism());
        m.put("mask", c.mask());
        m.put("B", d.batch());
        m.put("Hq", d.qHeads());
        m.put("Hkv", d.kvHeads());
        m.put("Lq", d.qLen());
        m.put("Lk", d.kLen());
        m.put("D", d.headDim());
        m.put("pass", c.pass().label());
        m.put("runs", r.runs());
        m.put("median_ms", finite(r.medianMs(), 4));
        m.put("min_ms", finite(r.minMs(), 4));
        m.put("flops", c.flops() > 0 ? c.flops() : null);
        m.put("bytes", c.bytes() > 0 ? c.bytes() : null);
        m.put("gflops", round(r.gflops(), 3));
        m.put("pct_peak", round(r.pctPeak(), 2));
        m.put("gbps", round(r.gbps(), 3));
        m.put("pct_bw", round(r.pctBw(), 2));
        m.put("error", r.error());
        return m;
    }

    /** The Markdown summary: a machine line and one table row per case. */
    public static String markdown(String suite, MachineInfo machine, String date, List<BenchRunner.Measurement> results) {
        StringBuilder b = new StringBuilder();
        b.append("# Attend benchmark: ").append(suite).append("\n\n");
        b.append(String.format("%s, %s; JDK %s; %d threads; %d-bit vectors.%n", date, machine.cpu(), machine.jdkVersion(),
                machine.threads(), machine.vectorBits()));
        if (machine.peak() != null) {
            b.append(String.format("Measured in this run: FMA peak %.1f GFLOP/s (1 thread), %.1f GFLOP/s (%d threads); read %.1f GB/s.%n",
                    machine.peak().fmaGflopsOneThread(), machine.peak().fmaGflops(), machine.peak().threads(), machine.peak().readGBps()));
        }
        b.append("\n| mechanism | mask | pass | B | Hq | Hkv | Lq | Lk | D | median ms | GFLOP/s | % peak | GB/s | % bw |\n");
        b.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (BenchRunner.Measurement r : results) {
            BenchCase c = r.benchCase();
            Workload.Shape d = c.dims();
            b.append(String.format("| %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s |%n",
                    c.mechanism(), c.mask().replace("|", "\\|"), c.pass().label(), d.batch(), d.qHeads(), d.kvHeads(),
                    d.qLen(), d.kLen(), d.headDim(),
                    r.error() != null ? "failed" : String.format("%.3f", r.medianMs()),
                    cell(r.gflops(), "%.1f"), cell(r.pctPeak(), "%.1f"), cell(r.gbps(), "%.1f"), cell(r.pctBw(), "%.1f")));
        }
        List<BenchRunner.Measurement> failed = results.stream().filter(r -> r.error() != null).toList();
        if (!failed.isEmpty()) {
            b.append("\nFailed cases:\n\n");
            for (BenchRunner.Measurement r : failed) b.append("- ").append(r.benchCase().name()).append(": ").append(r.error()).append('\n');
        }
        b.append("\nGFLOP/s count the useful work of the exact mask area (forward 4 x area x B x Hq x D); "
                + "% peak is against the all-threads FMA peak and % bw against the read bandwidth of this run.\n");
        return b.toString();
    }

    private static String cell(Double v, String fmt) {
        return v == null ? "" : String.format(fmt, v);
    }

    private static Double round(Double v, int digits) {
        return v == null ? null : finite(v, digits);
    }

    private static Double finite(double v, int digits) {
        if (!Double.isFinite(v)) return null;
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }
}
