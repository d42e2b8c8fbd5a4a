package dev.attend.cli.bench.report;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attend.cli.bench.BenchResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a {@code results.json} back into a {@link BenchRun}, for {@code --resume} and {@code --compare}.
 *
 * <p>Strict about what the report relies on: the schema version must be {@link ReportWriter#SCHEMA} (another
 * version is refused naming the file and both versions), and a record's documented fields must have their
 * documented types. Tolerant of the rest: unknown fields are ignored, so a newer writer that only adds fields
 * stays readable, and a missing nullable field reads as null. Numbers written as {@code "NaN"} or
 * {@code "Infinity"} (Jackson's spelling of non-finite doubles) read as those doubles. Cost: one pass over the file.
 */
public final class ReportReader {
    private ReportReader() {}

    /** The run stored in {@code resultsJson}; an {@link IOException} names the file and what is wrong. */
    public static BenchRun read(Path resultsJson) throws IOException {
        Map<String, Object> root;
        try {
            Object parsed = new ObjectMapper().readValue(resultsJson.toFile(), Object.class);
            if (!(parsed instanceof Map<?, ?> m)) {
                throw new IOException(resultsJson + ": expected a JSON object at the top, got " + kind(parsed));
            }
            root = cast(m);
        } catch (JacksonException e) {
            throw new IOException(resultsJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        Object schema = root.get("schema");
        if (schema == null) {
            throw new IOException(resultsJson + ": no \"schema\" field; expected schema " + ReportWriter.SCHEMA
                    + " (a results.json from before schema versions cannot be resumed or compared)");
        }
        if (!(schema instanceof Number n) || n.doubleValue() != ReportWriter.SCHEMA) {
            throw new IOException(resultsJson + ": schema version " + schema + " is not supported; this Attend reads schema "
                    + ReportWriter.SCHEMA);
        }
        Fields top = new Fields(resultsJson + "", root);
        List<BenchResult> results = new ArrayList<>();
        List<Object> raw = top.list("results");
        if (raw == null) throw new IOException(resultsJson + ": expected \"results\" to be a list, got null or nothing");
        for (int i = 0; i < raw.size(); i++) {
            if (!(raw.get(i) instanceof Map<?, ?> m)) {
                throw new IOException(resultsJson + ": results[" + i + "]: expected an object, got " + kind(raw.get(i)));
            }
            results.add(record(new Fields(resultsJson + ": results[" + i + "]", cast(m))));
        }
        List<Map<String, Object>> samples = new ArrayList<>();
        List<Object> rawSamples = top.list("peak_samples");
        if (rawSamples != null) {
            for (int i = 0; i < rawSamples.size(); i++) {
                if (!(rawSamples.get(i) instanceof Map<?, ?> m)) {
                    throw new IOException(resultsJson + ": peak_samples[" + i + "]: expected an object, got " + kind(rawSamples.get(i)));
                }
                samples.add(cast(m));
            }
        }
        List<String> warnings = new ArrayList<>();
        List<Object> rawWarnings = top.list("warnings");
        if (rawWarnings != null) for (Object w : rawWarnings) warnings.add(String.valueOf(w));
        Map<String, Object> machine = top.map("machine");
        return new BenchRun(top.string("suite"), top.string("command"), machine == null ? new LinkedHashMap<>() : machine,
                samples, results, warnings);
    }

    /** One record, the inverse of {@link BenchResult#toMap()}. */
    private static BenchResult record(Fields f) throws IOException {
        String status = f.string("status");
        BenchResult.Status st;
        try {
            st = BenchResult.Status.valueOf(String.valueOf(status).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw f.bad("status", "one of ok, unsupported, error", status);
        }
        BenchResult.Timing timing = null;
        Integer runs = f.integer("runs");
        Double median = f.number("median_ms");
        if (runs != null && median != null) {
            List<Double> times = new ArrayList<>();
            List<Object> raw = f.list("times_ms");
            if (raw != null) for (int i = 0; i < raw.size(); i++) times.add(f.element("times_ms", i, raw.get(i)));
            timing = new BenchResult.Timing(runs, median, orNaN(f.number("p20_ms")), orNaN(f.number("p80_ms")),
                    orNaN(f.number("min_ms")), orNaN(f.number("cv")), f.bool("unstable", false), f.bool("remeasured", false), times);
        }
        BenchResult.Fidelity fidelity = null;
        Double rel = f.number("rel_frobenius_error"), maxAbs = f.number("max_abs_error");
        if (rel != null || maxAbs != null || f.string("fidelity_family") != null) {
            fidelity = new BenchResult.Fidelity(f.string("fidelity_family"), f.string("budget_param"), f.number("budget_value"),
                    orNaN(maxAbs), orNaN(rel), f.number("lse_max_abs_error"));
        }
        Map<String, Object> params = f.map("params");
        return new BenchResult(f.string("suite"), f.string("name"), f.string("mechanism"), f.string("source"),
                params == null ? new LinkedHashMap<>() : params, f.bool("exact", false),
                f.string("mask"), f.string("mask_kind"), f.string("pattern"), f.string("pass"),
                f.required("B"), f.required("Hq"), f.required("Hkv"), f.required("Lq"), f.required("Lk"), f.required("D"),
                st, f.string("reason"), timing,
                f.number("useful_flops"), f.number("gflops"), f.number("pct_peak"), f.number("work_flops"),
                f.number("bytes"), f.number("gbps"), f.number("pct_bw"),
                f.longValue("alloc_bytes_per_call"), f.longValue("peak_heap_bytes"), fidelity, f.string("variant"));
    }

    private static double orNaN(Double v) {
        return v == null ? Double.NaN : v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static String kind(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "a list";
        if (v instanceof String s) return "the string \"" + s + "\"";
        return v.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + v;
    }

    /** Typed access to one JSON object, with errors that name where the object is, the field and both types. */
    private record Fields(String where, Map<String, Object> m) {
        IOException bad(String field, String expected, Object actual) {
            return new IOException(where + ": field \"" + field + "\": expected " + expected + ", got " + kind(actual));
        }

        String string(String k) throws IOException {
            Object v = m.get(k);
            if (v == null || v instanceof String) return (String) v;
            throw bad(k, "a string or null", v);
        }

        Double number(String k) throws IOException {
            Double d = toDouble(m.get(k));
            if (d == null && m.get(k) != null) throw bad(k, "a number or null", m.get(k));
            return d;
        }

        Double element(String k, int i, Object v) throws IOException {
            Double d = toDouble(v);
            if (d == null) throw bad(k + "[" + i + "]", "a number", v);
            return d;
        }

        Integer integer(String k) throws IOException {
            Object v = m.get(k);
            if (v == null) return null;
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
                return n.intValue();
            }
            throw bad(k, "an integer or null", v);
        }

        int required(String k) throws IOException {
            Integer v = integer(k);
            if (v == null) throw bad(k, "an integer", null);
            return v;
        }

        Long longValue(String k) throws IOException {
            Object v = m.get(k);
            if (v == null) return null;
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
            throw bad(k, "an integer or null", v);
        }

        boolean bool(String k, boolean absent) throws IOException {
            Object v = m.get(k);
            if (v == null) return absent;
            if (v instanceof Boolean b) return b;
            throw bad(k, "true or false", v);
        }

        @SuppressWarnings("unchecked")
        List<Object> list(String k) throws IOException {
            Object v = m.get(k);
            if (v == null || v instanceof List) return (List<Object>) v;
            throw bad(k, "a list", v);
        }

        Map<String, Object> map(String k) throws IOException {
            Object v = m.get(k);
            if (v == null) return null;
            if (v instanceof Map<?, ?> mm) return cast(mm);
            throw bad(k, "an object", v);
        }

        private static Double toDouble(Object v) {
            if (v instanceof Number n) return n.doubleValue();
            if (v instanceof String s) {
                return switch (s) {
                    case "NaN" -> Double.NaN;
                    case "Infinity" -> Double.POSITIVE_INFINITY;
                    case "-Infinity" -> Double.NEGATIVE_INFINITY;
                    default -> null;
                };
            }
            return null;
        }
    }
}
