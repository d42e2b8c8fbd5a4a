package dev.attend.cli.bench.report;

import dev.attend.cli.bench.BenchResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Made-up but realistic runs for the report's tests and for looking at the report: the timings follow the
 * shapes of real ones (flash near half the FMA peak, a linear-cost approximate mechanism that overtakes it past
 * 8K, decode bounded by bytes or arithmetic, peers faster and slower), with seeded noise.
 *
 * <p>{@code main(dir)} writes the realistic run's report into {@code dir}, to open in a browser.
 */
final class SyntheticRuns {
    static final double FMA_1T = 211.8, FMA = 423.1, READ = 40.0;
    static final String FLASH = "flash:blockQ=96,blockK=96";
    static final int[] LENGTHS = {1024, 2048, 4096, 8192, 16384, 32768, 65536};

    private SyntheticRuns() {}

    public static void main(String[] args) throws IOException {
        ReportWriter.write(Path.of(args.length > 0 ? args[0] : "bench-out-synthetic"), realistic());
    }

    static Map<String, Object> machine(boolean peakUnstable) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attend_version", "0.1.0-SNAPSHOT");
        m.put("jdk", "25.0.3+9-LTS");
        m.put("jdk_vendor", "Eclipse Adoptium");
        m.put("vm", "OpenJDK 64-Bit Server VM");
        m.put("os", "Linux 6.1.0");
        m.put("arch", "amd64");
        m.put("cpu", "AMD EPYC 9R14 96-Core Processor (synthetic)");
        m.put("logical_processors", 2);
        m.put("threads", 2);
        m.put("vector_bits", 512);
        m.put("vector_floats", 16);
        m.put("max_heap_bytes", 6L << 30);
        m.put("ram_bytes", 24L << 30);
        m.put("fma_gflops_1t", FMA_1T);
        m.put("fma_gflops", FMA);
        m.put("read_gbps", READ);
        m.put("peak_unstable", peakUnstable);
        m.put("date", "2026-11-27T20:07:00Z");
        return m;
    }

    /** A run of every kind of record: several exact mechanisms, an approximate one over four budgets, decode, two peers, X and E. */
    static BenchRun realistic() {
        Random rnd = new Random(42);
        List<BenchResult> rs = new ArrayList<>();
        Map<String, Object> flashParams = params("blockQ", 96, "blockK", 96);
        String[][] masks = {{"full", "full", "NONCAUSAL_SELF"}, {"causal", "causal", "CAUSAL_SELF"}, {"sliding:1024", "sliding", "CAUSAL_SELF"},
                {"document-causal", "document-causal", "CAUSAL_SELF"}};
        for (String[] m : masks) {
            for (int l : LENGTHS) {
                String mask = m[0].equals("document-causal") ? "document-causal:" + l / 4 + "," + l / 4 + "," + l / 4 + "," + l / 4 : m[0];
                double area = area(m[1], l);
                double eff = (m[1].equals("sliding") ? 0.46 : 0.53) - 0.12 * 1024.0 / l;
                boolean unstable = m[1].equals("full") && l == 65536;
                rs.add(timed(rnd, "kernels", "flash " + m[1] + " forward L=" + l, FLASH, "attend", flashParams, true, mask, m[1], m[2], "forward",
                        1, 8, 8, l, l, 128, 4 * area * 8 * 128, eff, null, 2048L, (64L << 20) + 3L * l * 8 * 128 * 4, unstable ? 0.09 : 0.02, unstable));
            }
        }
        for (int l : new int[] {1024, 2048, 4096, 8192, 16384}) {
            rs.add(timed(rnd, "kernels", "flash causal backward L=" + l, FLASH, "attend", flashParams, true, "causal", "causal", "CAUSAL_SELF",
                    "backward", 1, 8, 8, l, l, 128, 2.5 * 4 * area("causal", l) * 8 * 128, 0.62 - 0.1 * 1024.0 / l, null, 4096L,
                    (80L << 20) + 6L * l * 8 * 128 * 4, 0.02, false));
        }
        for (String[] m : new String[][] {masks[0], masks[1]}) {
            for (int l : new int[] {1024, 2048}) {
                rs.add(timed(rnd, "kernels", "reference " + m[1] + " forward L=" + l, "reference", "attend", Map.of(), true, m[0], m[1], m[2],
                        "forward", 1, 8, 8, l, l, 128, 4 * area(m[1], l) * 8 * 128, 0.021, null, 8L * l * l, (64L << 20) + 8L * l * l, 0.01, false));
            }
            rs.add(failed("kernels", "reference " + m[1] + " forward L=4096", "reference", "attend", true, m[0], m[1], m[2], "forward", 1, 8, 8, 4096,
                    4096, 128, BenchResult.Status.ERROR, "over its time budget (60 s) at the first warm-up call"));
        }
        for (int l : new int[] {1024, 2048}) {
            rs.add(timed(rnd, "kernels", "scalar causal forward L=" + l, "scalar", "baseline", Map.of(), true, "causal", "causal", "CAUSAL_SELF",
                    "forward", 1, 8, 8, l, l, 128, 4 * area("causal", l) * 8 * 128, 0.019, null, 0L, 64L << 20, 0.01, false));
        }
        // A made-up approximate mechanism: linear cost in L, slower than flash at short lengths, faster past about 8K.
        for (int s : new int[] {16, 32, 64, 128}) {
            String spec = "hyper:block=256,samples=" + s;
            Map<String, Object> p = params("block", 256, "samples", s);
            for (String[] m : new String[][] {masks[0], masks[1]}) {
                for (int l : new int[] {4096, 8192, 16384, 32768, 65536}) {
                    double ms = (m[1].equals("full") ? 0.16 : 0.08) * l * (0.55 + s / 96.0) * (l <= 8192 ? 1.3 : 1.0);
                    BenchResult r = timedMs(rnd, "kernels", spec + " " + m[1] + " forward L=" + l, spec, "attend", p, false, m[0], m[1], m[2],
                            "forward", 1, 8, 8, l, l, 128, 4 * area(m[1], l) * 8 * 128, null, ms, 1L << 20, (70L << 20) + (long) s * l * 8 * 4, 0.02, false);
                    // It scores a few hundred keys per query, not all of them.
                    rs.add(withWork(r, 4.0 * l * (256 + 4 * s) * 8 * 128));
                }
            }
            rs.add(failed("kernels", spec + " sliding forward L=4096", spec, "attend", false, "sliding:1024", "sliding", "CAUSAL_SELF", "forward", 1, 8,
                    8, 4096, 4096, 128, BenchResult.Status.UNSUPPORTED, "hyper: mask sliding:1024 is not supported (hyper supports full, causal)"));
            rs.add(failed("kernels", spec + " causal backward L=4096", spec, "attend", false, "causal", "causal", "CAUSAL_SELF", "backward", 1, 8, 8,
                    4096, 4096, 128, BenchResult.Status.UNSUPPORTED, "hyper: no backward pass"));
            String[] families = {"gaussian", "clustered", "needle", "local"};
            double[] hardness = {1, 0.4, 3.5, 0.7};
            for (int f = 0; f < families.length; f++) {
                if (s == 16 && families[f].equals("local")) {
                    rs.add(failed("fidelity", spec + " fidelity " + families[f], spec, "attend", false, "causal", "causal", "CAUSAL_SELF", "forward",
                            1, 4, 4, 2048, 2048, 64, BenchResult.Status.ERROR, "java.lang.OutOfMemoryError: Java heap space"));
                    continue;
                }
                double err = 0.06 * hardness[f] / Math.pow(s, 0.95) * (1 + 0.1 * rnd.nextGaussian());
                rs.add(fidelity(spec + " fidelity " + families[f], spec, p, false, families[f], "samples", (double) s, err));
            }
        }
        rs.add(fidelity("flash fidelity gaussian", FLASH, flashParams, true, "gaussian", null, null, 3.1e-7));
        // Decode over F32, BF16 and Q8_0 caches: F32 bounded by bytes, the smaller formats by arithmetic.
        String[][] formats = {{"decode-f32", "4", "30"}, {"decode-bf16", "2", "23.9"}, {"decode-q8_0", "1.0625", "17.1"}};
        for (String[] f : formats) {
            for (int l : new int[] {4096, 8192, 16384, 32768, 65536, 131072}) {
                double bytes = 2.0 * 8 * l * 128 * Double.parseDouble(f[1]);
                double gbps = Double.parseDouble(f[2]) * (0.75 + 0.25 * Math.min(1, l / 32768.0));
                double ms = bytes / (gbps * 1e9) * 1e3;
                rs.add(timedMs(rnd, "decode", f[0] + " L=" + l, f[0], "attend", Map.of(), f[0].equals("decode-f32"), "causal-br", "causal-br",
                        "CAUSAL_CROSS", "decode", 1, 32, 8, 1, l, 128, 4.0 * l * 32 * 128, bytes, ms, 512L, (64L << 20) + (long) bytes, 0.03, false));
            }
            if (!f[0].equals("decode-f32")) {
                rs.add(fidelity(f[0] + " fidelity gaussian", f[0], Map.of(), false, "gaussian", null, null, f[0].equals("decode-bf16") ? 2.2e-3 : 7.9e-3));
            }
        }
        rs.add(timedMs(rnd, "decode", "scalar decode L=65536", "scalar", "baseline", Map.of(), true, "causal-br", "causal-br", "CAUSAL_CROSS",
                "decode", 1, 32, 8, 1, 65536, 128, 4.0 * 65536 * 32 * 128, 2.0 * 8 * 65536 * 128 * 4, 229.061, 0L, 64L << 20, 0.01, false));
        // Two peers on some of the same workloads.
        for (int l : new int[] {1024, 4096, 16384}) {
            double flops = 4 * area("full", l) * 8 * 128;
            rs.add(peer(rnd, "onnx " + "full L=" + l, "onnx", "com.microsoft.MultiHeadAttention (fused)", "full", "full", "NONCAUSAL_SELF", "forward", l, l, 8,
                    flops, 0.62 - 0.2 * 1024.0 / l));
            rs.add(peer(rnd, "libtorch full L=" + l, "libtorch", "matmul, softmax, matmul", "full", "full", "NONCAUSAL_SELF", "forward", l, l, 8,
                    flops, 0.16));
        }
        for (int l : new int[] {4096, 16384}) {
            double flops = 4 * area("causal", l) * 8 * 128;
            rs.add(peer(rnd, "onnx causal L=" + l, "onnx", "com.microsoft.GroupQueryAttention", "causal", "causal", "CAUSAL_SELF", "forward", l, l, 8,
                    flops, 0.24));
        }
        rs.add(peer(rnd, "libtorch causal L=4096", "libtorch", "matmul, softmax, matmul", "causal", "causal", "CAUSAL_SELF", "forward", 4096, 4096, 8,
                4 * area("causal", 4096) * 8 * 128, 0.08));
        rs.add(failed("peers", "libtorch causal L=16384", "libtorch", "peer", true, "causal", "causal", "CAUSAL_SELF", "forward", 1, 8, 8, 16384, 16384,
                128, BenchResult.Status.ERROR, "out of memory: the 16K x 16K score matrix needs 8 GiB"));
        rs.add(failed("peers", "onnx sliding L=4096", "onnx", "peer", true, "sliding:1024", "sliding", "CAUSAL_SELF", "forward", 1, 8, 8, 4096, 4096,
                128, BenchResult.Status.UNSUPPORTED, "onnx: no operator takes a sliding-window mask"));
        BenchResult dec = timedMs(rnd, "peers", "onnx decode L=65536", "onnx", "peer", Map.of(), true, "causal-br", "causal-br", "CAUSAL_CROSS",
                "decode", 1, 32, 8, 1, 65536, 128, 4.0 * 65536 * 32 * 128, 2.0 * 8 * 65536 * 128 * 4, 35.8, null, null, 0.04, false);
        rs.add(withVariant(dec, "com.microsoft.MultiHeadAttention (group as queries)"));

        List<Map<String, Object>> samples = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("threads", 2);
            s.put("fma_gflops_1t", round(FMA_1T * (1 + 0.03 * rnd.nextGaussian())));
            s.put("fma_gflops", round(i == 7 ? 180.0 : FMA * (1 + 0.03 * rnd.nextGaussian())));
            s.put("read_gbps", round(READ * (1 + 0.05 * rnd.nextGaussian())));
            samples.add(s);
        }
        return new BenchRun("all", "attend bench --suite all --out bench-out", machine(false), samples, rs,
                List.of("flash full forward L=65536 was re-measured at the end of the run and stayed unstable."));
    }

    /** A few records of each kind: quick to render, for the file-level tests. */
    static BenchRun tiny() {
        Random rnd = new Random(7);
        List<BenchResult> rs = new ArrayList<>();
        Map<String, Object> fp = params("blockQ", 96, "blockK", 96);
        for (int l : new int[] {256, 512}) {
            rs.add(timed(rnd, "kernels", "flash causal forward L=" + l, FLASH, "attend", fp, true, "causal", "causal", "CAUSAL_SELF", "forward", 1, 2, 2, l, l,
                    64, 4 * area("causal", l) * 2 * 64, 0.4, null, 1024L, 32L << 20, 0.02, false));
            rs.add(timed(rnd, "kernels", "hyper:samples=8 causal forward L=" + l, "hyper:samples=8", "attend", params("samples", 8), false, "causal", "causal",
                    "CAUSAL_SELF", "forward", 1, 2, 2, l, l, 64, 4 * area("causal", l) * 2 * 64, 0.3, null, 1024L, 32L << 20, 0.02, false));
        }
        rs.add(fidelity("hyper:samples=8 fidelity gaussian", "hyper:samples=8", params("samples", 8), false, "gaussian", "samples", 8.0, 4e-3));
        rs.add(failed("kernels", "hyper:samples=8 sliding forward L=512", "hyper:samples=8", "attend", false, "sliding:64", "sliding", "CAUSAL_SELF",
                "forward", 1, 2, 2, 512, 512, 64, BenchResult.Status.UNSUPPORTED, "hyper: mask sliding:64 is not supported"));
        rs.add(failed("kernels", "flash sliding forward L=512", FLASH, "attend", true, "sliding:64", "sliding", "CAUSAL_SELF", "forward", 1, 2, 2, 512, 512,
                64, BenchResult.Status.ERROR, "IllegalStateException: planted failure"));
        rs.add(timedMs(rnd, "decode", "decode-f32 L=1024", "decode-f32", "attend", Map.of(), true, "causal-br", "causal-br", "CAUSAL_CROSS", "decode", 1, 4,
                2, 1, 1024, 64, 4.0 * 1024 * 4 * 64, 2.0 * 2 * 1024 * 64 * 4, 0.05, 256L, 16L << 20, 0.05, false));
        rs.add(peer(rnd, "onnx causal L=512", "onnx", "com.microsoft.GroupQueryAttention", "causal", "causal", "CAUSAL_SELF", "forward", 512, 512, 2,
                4 * area("causal", 512) * 2 * 64 / 4, 0.2));
        List<Map<String, Object>> samples = List.of(Map.of("threads", 2, "fma_gflops_1t", FMA_1T, "fma_gflops", FMA, "read_gbps", READ));
        return new BenchRun("kernels", "attend bench --quick", machine(false), samples, rs, List.of());
    }

    // Record makers --------------------------------------------------------------------------------------------

    /** A timed record whose median follows from its FLOPs and an efficiency (a fraction of the FMA peak). */
    static BenchResult timed(Random rnd, String suite, String name, String mech, String source, Map<String, Object> params, boolean exact, String mask,
                             String kind, String pattern, String pass, int b, int hq, int hkv, int lq, int lk, int d, double flops, double eff,
                             Double bytes, Long alloc, Long heap, double noise, boolean unstable) {
        double ms = flops / (eff * FMA * 1e9) * 1e3;
        return timedMs(rnd, suite, name, mech, source, params, exact, mask, kind, pattern, pass, b, hq, hkv, lq, lk, d, flops, bytes, ms, alloc, heap,
                noise, unstable);
    }

    static BenchResult timedMs(Random rnd, String suite, String name, String mech, String source, Map<String, Object> params, boolean exact, String mask,
                               String kind, String pattern, String pass, int b, int hq, int hkv, int lq, int lk, int d, double flops, Double bytes,
                               double ms, Long alloc, Long heap, double noise, boolean unstable) {
        int runs = 9;
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) t[i] = ms * (1 + noise * rnd.nextGaussian());
        return record(suite, name, mech, source, params, exact, mask, kind, pattern, pass, b, hq, hkv, lq, lk, d, t, flops, bytes, alloc, heap, unstable);
    }

    /** A timed record with exactly these run times. */
    static BenchResult record(String suite, String name, String mech, String source, Map<String, Object> params, boolean exact, String mask, String kind,
                              String pattern, String pass, int b, int hq, int hkv, int lq, int lk, int d, double[] times, double flops, Double bytes,
                              Long alloc, Long heap, boolean unstable) {
        double[] s = times.clone();
        Arrays.sort(s);
        double median = quantile(s, 0.5), mean = Arrays.stream(s).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(s).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, s.length - 1));
        BenchResult.Timing timing = new BenchResult.Timing(s.length, median, quantile(s, 0.2), quantile(s, 0.8), s[0], sd / mean, unstable, unstable,
                Arrays.stream(times).boxed().toList());
        double gflops = flops / (median * 1e6);
        Double gbps = bytes == null ? null : bytes / (median * 1e6);
        return new BenchResult(suite, name, mech, source, params, exact, mask, kind, pattern, pass, b, hq, hkv, lq, lk, d, BenchResult.Status.OK, null,
                timing, flops, gflops, 100 * gflops / FMA, flops, bytes, gbps, gbps == null ? null : 100 * gbps / READ, alloc, heap, null, null);
    }

    static BenchResult failed(String suite, String name, String mech, String source, boolean exact, String mask, String kind, String pattern, String pass,
                              int b, int hq, int hkv, int lq, int lk, int d, BenchResult.Status status, String reason) {
        return new BenchResult(suite, name, mech, source, Map.of(), exact, mask, kind, pattern, pass, b, hq, hkv, lq, lk, d, status, reason, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    static BenchResult fidelity(String name, String mech, Map<String, Object> params, boolean exact, String family, String budgetParam, Double budget,
                                double relFrobenius) {
        return new BenchResult("fidelity", name, mech, "attend", params, exact, "causal", "causal", "CAUSAL_SELF", "forward", 1, 4, 4, 2048, 2048, 64,
                BenchResult.Status.OK, null, null, null, null, null, null, null, null, null, null, null,
                new BenchResult.Fidelity(family, budgetParam, budget, relFrobenius * 6, relFrobenius, relFrobenius * 2), null);
    }

    private static BenchResult peer(Random rnd, String name, String mech, String variant, String mask, String kind, String pattern, String pass, int lq,
                                    int lk, int heads, double flops, double eff) {
        BenchResult r = timed(rnd, "peers", name, mech, "peer", Map.of(), true, mask, kind, pattern, pass, 1, heads, heads, lq, lk, heads == 2 ? 64 : 128,
                flops, eff, null, null, null, 0.03, false);
        return withVariant(r, variant);
    }

    private static BenchResult withWork(BenchResult r, double work) {
        return new BenchResult(r.suite(), r.name(), r.mechanism(), r.source(), r.params(), r.exact(), r.mask(), r.maskKind(), r.pattern(), r.pass(),
                r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim(), r.status(), r.reason(), r.timing(), r.usefulFlops(), r.gflops(),
                r.pctPeak(), work, r.bytes(), r.gbps(), r.pctBw(), r.allocBytesPerCall(), r.peakHeapBytes(), r.fidelity(), r.variant());
    }

    private static BenchResult withVariant(BenchResult r, String variant) {
        return new BenchResult(r.suite(), r.name(), r.mechanism(), r.source(), r.params(), r.exact(), r.mask(), r.maskKind(), r.pattern(), r.pass(),
                r.batch(), r.qHeads(), r.kvHeads(), r.qLen(), r.kLen(), r.headDim(), r.status(), r.reason(), r.timing(), r.usefulFlops(), r.gflops(),
                r.pctPeak(), r.workFlops(), r.bytes(), r.gbps(), r.pctBw(), r.allocBytesPerCall(), r.peakHeapBytes(), r.fidelity(), variant);
    }

    /** Visible (query, key) pairs of a mask kind at self-attention length {@code l}. */
    static double area(String kind, int l) {
        double n = l;
        return switch (kind) {
            case "full" -> n * n;
            case "causal" -> n * (n + 1) / 2;
            case "sliding" -> Math.min(n, 1024) * n - 1024.0 * 1023 / 2;
            case "document-causal" -> 4 * (n / 4) * (n / 4 + 1) / 2;
            default -> throw new IllegalArgumentException("kind: expected full, causal, sliding or document-causal, got " + kind);
        };
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
