package dev.attend.cli.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One record of {@code results.json}: a case and what its measurement found. The schema is documented in
 * {@code docs/bench-results.md} and checked by {@code BenchResultsSchemaTest}; every field is present in every
 * record, null where it does not apply.
 *
 * @param suite      the suite the case belongs to ({@code kernels}, {@code decode}, {@code fidelity}, ...)
 * @param name       unique label of the case within the run
 * @param mechanism  the mechanism spec ({@code flash}, {@code flash:blockQ=64}) or the peer's name ({@code onnx}, {@code scalar})
 * @param source     {@code attend}, {@code peer} (another implementation, in its own JVM) or {@code baseline} (the scalar loop)
 * @param params     the mechanism's parameters by name (empty for peers)
 * @param exact      whether the mechanism is exact (for peers: whether it computes exact attention)
 * @param mask       the mask spec; {@code maskKind} its registry name (null for combinations)
 * @param pattern    one of {@code NONCAUSAL_SELF, CAUSAL_SELF, NONCAUSAL_CROSS, CAUSAL_CROSS}
 * @param pass       {@code forward}, {@code backward} or {@code decode}
 * @param status     {@link Status}; {@code reason} says why for X and E
 * @param timing     null unless the case was timed
 * @param usefulFlops useful FLOPs of one call from the exact mask area (backward 2.5x); {@code workFlops} what the
 *                   mechanism reported doing; {@code bytes} bytes one call must read at least once (decode: the cache)
 * @param allocBytesPerCall heap bytes allocated by one timed call (median over the timed runs)
 * @param peakHeapBytes the most heap the case used above what was in use when it started (its inputs, outputs and work space), at least what one call allocates
 * @param fidelity   null unless the case measured error against exact attention
 * @param variant    what a peer ran (e.g. {@code com.microsoft.MultiHeadAttention (fused)}), null otherwise
 */
public record BenchResult(String suite, String name, String mechanism, String source, Map<String, Object> params, boolean exact,
                          String mask, String maskKind, String pattern, String pass,
                          int batch, int qHeads, int kvHeads, int qLen, int kLen, int headDim,
                          Status status, String reason, Timing timing,
                          Double usefulFlops, Double gflops, Double pctPeak, Double workFlops,
                          Double bytes, Double gbps, Double pctBw,
                          Long allocBytesPerCall, Long peakHeapBytes, Fidelity fidelity, String variant) {

    /** A case's outcome: a figure, unsupported (X, with the descriptor's reason) or failed (E, with the message). */
    public enum Status {
        OK("ok"), UNSUPPORTED("X"), ERROR("E");

        private final String cell;

        Status(String cell) {
            this.cell = cell;
        }

        /** The support-matrix symbol: {@code ok}, {@code X} or {@code E}. */
        public String cell() {
            return cell;
        }
    }

    /**
     * Times of the timed runs after warm-up, in milliseconds. {@code cv} is the coefficient of variation
     * (standard deviation / mean); {@code unstable} marks a case whose spread stayed above the threshold after its
     * time budget (it is re-measured once at the end of the run; {@code remeasured} says it was).
     */
    public record Timing(int runs, double medianMs, double p20Ms, double p80Ms, double minMs, double cv,
                         boolean unstable, boolean remeasured, List<Double> timesMs) {}

    /**
     * Error of an approximate mechanism against exact attention (fp64 reference) on one input family at one
     * setting of its budget parameter: max |out - exact|, ||out - exact||_F / ||exact||_F, max |lse - exact lse|
     * (null without an LSE).
     */
    public record Fidelity(String family, String budgetParam, Double budgetValue, double maxAbs, double relFrobenius, Double lseMaxAbs) {}

    /** The shape as the record's fields. */
    public static BenchResult of(String suite, String name, String mechanism, String source, Map<String, Object> params, boolean exact,
                                 String mask, String maskKind, String pattern, String pass, dev.attend.attention.Workload.Shape s,
                                 Status status, String reason) {
        return new BenchResult(suite, name, mechanism, source, params, exact, mask, maskKind, pattern, pass, s.batch(), s.qHeads(),
                s.kvHeads(), s.qLen(), s.kLen(), s.headDim(), status, reason, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    /** A flat, stable-order map with snake_case keys: one object of {@code results.json}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("suite", suite);
        m.put("name", name);
        m.put("mechanism", mechanism);
        m.put("source", source);
        m.put("params", params);
        m.put("exact", exact);
        m.put("mask", mask);
        m.put("mask_kind", maskKind);
        m.put("pattern", pattern);
        m.put("pass", pass);
        m.put("B", batch);
        m.put("Hq", qHeads);
        m.put("Hkv", kvHeads);
        m.put("Lq", qLen);
        m.put("Lk", kLen);
        m.put("D", headDim);
        m.put("status", status.name().toLowerCase(java.util.Locale.ROOT));
        m.put("reason", reason);
        m.put("runs", timing == null ? null : timing.runs());
        m.put("median_ms", timing == null ? null : round(timing.medianMs(), 4));
        m.put("p20_ms", timing == null ? null : round(timing.p20Ms(), 4));
        m.put("p80_ms", timing == null ? null : round(timing.p80Ms(), 4));
        m.put("min_ms", timing == null ? null : round(timing.minMs(), 4));
        m.put("cv", timing == null ? null : round(timing.cv(), 4));
        m.put("unstable", timing != null && timing.unstable());
        m.put("remeasured", timing != null && timing.remeasured());
        m.put("times_ms", timing == null ? null : timing.timesMs().stream().map(t -> round(t, 4)).toList());
        m.put("useful_flops", usefulFlops);
        m.put("gflops", round(gflops, 3));
        m.put("pct_peak", round(pctPeak, 2));
        m.put("work_flops", workFlops);
        m.put("bytes", bytes);
        m.put("gbps", round(gbps, 3));
        m.put("pct_bw", round(pctBw, 2));
        m.put("alloc_bytes_per_call", allocBytesPerCall);
        m.put("peak_heap_bytes", peakHeapBytes);
        m.put("fidelity_family", fidelity == null ? null : fidelity.family());
        m.put("budget_param", fidelity == null ? null : fidelity.budgetParam());
        m.put("budget_value", fidelity == null ? null : fidelity.budgetValue());
        m.put("max_abs_error", fidelity == null ? null : fidelity.maxAbs());
        m.put("rel_frobenius_error", fidelity == null ? null : fidelity.relFrobenius());
        m.put("lse_max_abs_error", fidelity == null ? null : fidelity.lseMaxAbs());
        m.put("variant", variant);
        return m;
    }

    /** The record back from {@link #toMap()} (as read from results.json); unknown keys are ignored. */
    @SuppressWarnings("unchecked")
    public static BenchResult fromMap(Map<String, Object> m) {
        Timing t = m.get("median_ms") == null ? null : new Timing(num(m, "runs").intValue(), num(m, "median_ms").doubleValue(),
                num(m, "p20_ms").doubleValue(), num(m, "p80_ms").doubleValue(), num(m, "min_ms").doubleValue(), num(m, "cv").doubleValue(),
                Boolean.TRUE.equals(m.get("unstable")), Boolean.TRUE.equals(m.get("remeasured")),
                m.get("times_ms") == null ? List.of() : ((List<Number>) m.get("times_ms")).stream().map(Number::doubleValue).toList());
        Fidelity f = m.get("max_abs_error") == null ? null : new Fidelity((String) m.get("fidelity_family"), (String) m.get("budget_param"),
                dbl(m, "budget_value"), num(m, "max_abs_error").doubleValue(), num(m, "rel_frobenius_error").doubleValue(), dbl(m, "lse_max_abs_error"));
        return new BenchResult((String) m.get("suite"), (String) m.get("name"), (String) m.get("mechanism"), (String) m.get("source"),
                m.get("params") == null ? Map.of() : (Map<String, Object>) m.get("params"), Boolean.TRUE.equals(m.get("exact")),
                (String) m.get("mask"), (String) m.get("mask_kind"), (String) m.get("pattern"), (String) m.get("pass"),
                num(m, "B").intValue(), num(m, "Hq").intValue(), num(m, "Hkv").intValue(), num(m, "Lq").intValue(), num(m, "Lk").intValue(),
                num(m, "D").intValue(), Status.valueOf(((String) m.get("status")).toUpperCase(java.util.Locale.ROOT)), (String) m.get("reason"), t,
                dbl(m, "useful_flops"), dbl(m, "gflops"), dbl(m, "pct_peak"), dbl(m, "work_flops"), dbl(m, "bytes"), dbl(m, "gbps"),
                dbl(m, "pct_bw"), m.get("alloc_bytes_per_call") == null ? null : num(m, "alloc_bytes_per_call").longValue(),
                m.get("peak_heap_bytes") == null ? null : num(m, "peak_heap_bytes").longValue(), f, (String) m.get("variant"));
    }

    private static Number num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("results record: '" + key + "' must be a number, got " + v);
        return n;
    }

    private static Double dbl(Map<String, Object> m, String key) {
        return m.get(key) == null ? null : num(m, key).doubleValue();
    }

    /** The columns of {@code results.csv}: the keys of {@link #toMap()} without the list of times. */
    public static List<String> csvColumns() {
        return of("s", "n", "m", "attend", Map.of(), true, "full", "full", "NONCAUSAL_SELF", "forward",
                new dev.attend.attention.Workload.Shape(1, 1, 1, 1, 1, 1), Status.OK, null).toMap().keySet().stream()
                .filter(k -> !k.equals("times_ms") && !k.equals("params")).toList();
    }

    private static Double round(Double v, int digits) {
        if (v == null || !Double.isFinite(v)) return v == null ? null : null;
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }
}
